import { runClosePost } from '../shared/deployments/close.js';

void runClosePost({ step: 'deploy', kind: 'deployment' });
