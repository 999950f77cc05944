/** Start the test HTTP app on a fixed port (CI's smoke job): `node --import tsx test/harness/serve.ts 8080 2.0.0`. */
import { startHttpApp } from './http-app.js';

const [port = '8080', version = '1.0.0'] = process.argv.slice(2);
const app = await startHttpApp({ port: Number(port), version });
console.log(`test app ${version} listening on ${app.url}`);
