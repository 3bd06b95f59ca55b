// `node --import dist/test/support/module-log.js PROGRAM …` with PODNET_MODULE_LOG=FILE: every
// module URL PROGRAM resolves (ES imports, static and dynamic, and the packages they name) is
// appended to FILE, one a line. See loadedModules() in test/support/cli.ts.
import { register } from 'node:module';

const logFile = process.env.PODNET_MODULE_LOG;
if (logFile !== undefined) register('./module-log-hooks.js', { parentURL: import.meta.url, data: { logFile } });
