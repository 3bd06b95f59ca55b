// Runs the command line from the modules tsc wrote (dist/src/cli/program.js), not from the bundle
// main.js prefers: with test/support/module-log.ts it shows which modules each command imports.
import { main } from '../../src/cli/program.js';

process.exit(await main(process.argv.slice(2)));
