import { spawnSync } from 'child_process';
import path from 'path';

describe('generated ModelDeployment types', () => {
  it('match k8s/crd/modeldeployment.yaml (run the generate script after changing the CRD)', () => {
    // A child process: the generator's formatter cannot load inside jest's module runtime.
    const script = path.resolve(__dirname, '../../scripts/generateFromCrd.js');
    const result = spawnSync(process.execPath, [script, '--check'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
