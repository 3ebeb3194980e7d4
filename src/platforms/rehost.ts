/** `npm run rehost` (see rehost-program.ts and README "Where the video plays"). */
import { loadEnvFile } from '../config.js';
import { rehostProgram } from './rehost-program.js';

loadEnvFile();
process.exitCode = await rehostProgram(process.env, { out: process.stdout });
