// podnet's version: `podnet --version` prints it without loading anything else (see main.ts).
export const VERSION = '0.1.0';
