import { runClosePost } from '../shared/deployments/close.js';

void runClosePost({ step: 'rollback', kind: 'rollback deployment' });
