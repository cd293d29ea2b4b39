// The local cluster's storage provisioner (StorageClass local-models, k8s/local/storage-class.yaml):
// what an external provisioner does in a real cluster, with directories of this machine as the
// storage. For every Pending claim of the class it creates a PersistentVolume (a hostPath of a
// directory under <root>/pv, claimRef to the claim); the controller-manager's binder binds them,
// so kube-scheduler schedules pods that use the claim. A Released volume of the class (its claim
// deleted) is deleted with its directory (reclaimPolicy Delete). Directories of volumes that no
// longer exist (an earlier cluster) are removed at start.
import fs from 'node:fs';
import path from 'node:path';

export const PROVISIONER = 'modelhosting.io/local-models';
export const STORAGE_CLASS = 'local-models';
const FIELD_MANAGER = 'model-hosting-pod-runner';

export function createProvisioner({ kube, repo, pvRoot, log }) {
  const classFile = path.join(repo, 'k8s/local/storage-class.yaml');
  const inFlight = new Set();

  async function applyClass() {
    const r = await kube.request(
      'PATCH',
      `/apis/storage.k8s.io/v1/storageclasses/${STORAGE_CLASS}?fieldManager=${FIELD_MANAGER}&force=true`,
      fs.readFileSync(classFile, 'utf8'),
      'application/apply-patch+yaml',
    );
    if (r.status >= 300)
      throw new Error(
        `applying ${classFile}: HTTP ${r.status} ${JSON.stringify(r.body).slice(
          0,
          300,
        )}`,
      );
  }

  const ours = claim => {
    const a = claim.metadata.annotations || {};
    return (
      claim.spec?.storageClassName === STORAGE_CLASS ||
      a['volume.kubernetes.io/storage-provisioner'] === PROVISIONER ||
      a['volume.beta.kubernetes.io/storage-provisioner'] === PROVISIONER
    );
  };

  async function provision(claim) {
    const { namespace, name, uid } = claim.metadata;
    const pvName = `pvc-${uid}`;
    if (inFlight.has(pvName)) return;
    inFlight.add(pvName);
    try {
      const dir = path.join(pvRoot, pvName);
      fs.mkdirSync(dir, { recursive: true });
      const body = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name: pvName,
          annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER },
          labels: {
            'app.kubernetes.io/managed-by': 'model-hosting-pod-runner',
          },
        },
        spec: {
          capacity: {
            storage: claim.spec?.resources?.requests?.storage ?? '1Gi',
          },
          accessModes: claim.spec?.accessModes?.length
            ? claim.spec.accessModes
            : ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: STORAGE_CLASS,
          volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
          hostPath: { path: dir, type: 'DirectoryOrCreate' },
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace,
            name,
            uid,
          },
        },
      };
      const r = await kube.request('POST', '/api/v1/persistentvolumes', body);
      if (r.status === 201)
        log(`provisioned ${pvName} for claim ${namespace}/${name} at ${dir}`);
      else if (r.status !== 409)
        log(
          `provisioning for claim ${namespace}/${name} failed: HTTP ${
            r.status
          } ${JSON.stringify(r.body).slice(0, 200)}`,
        );
    } finally {
      inFlight.delete(pvName);
    }
  }

  async function reclaim(pv) {
    const name = pv.metadata.name;
    if (inFlight.has(name)) return;
    inFlight.add(name);
    try {
      const r = await kube.request(
        'DELETE',
        `/api/v1/persistentvolumes/${encodeURIComponent(name)}`,
      );
      if (r.status < 300 || r.status === 404) {
        fs.rmSync(path.join(pvRoot, name), { recursive: true, force: true });
        log(`deleted ${name} (its claim is gone) and its directory`);
      }
    } finally {
      inFlight.delete(name);
    }
  }

  function onClaim(type, claim) {
    if (type === 'DELETED' || claim.metadata.deletionTimestamp) return;
    if (claim.status?.phase !== 'Pending' || claim.spec?.volumeName) return;
    if (!ours(claim)) return;
    provision(claim).catch(e => log(`provisioner: ${e.message}`));
  }

  function onVolume(type, pv) {
    if (
      pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] !==
      PROVISIONER
    )
      return;
    if (type === 'DELETED') {
      fs.rmSync(path.join(pvRoot, pv.metadata.name), {
        recursive: true,
        force: true,
      });
      return;
    }
    if (
      pv.status?.phase === 'Released' &&
      pv.spec?.persistentVolumeReclaimPolicy === 'Delete'
    )
      reclaim(pv).catch(e => log(`provisioner: ${e.message}`));
  }

  /** Removes directories of volumes this cluster does not have (left by an earlier cluster). */
  async function collect() {
    const r = await kube.request('GET', '/api/v1/persistentvolumes');
    if (r.status !== 200) return;
    const names = new Set(r.body.items.map(pv => pv.metadata.name));
    let entries = [];
    try {
      entries = fs.readdirSync(pvRoot);
    } catch {
      return;
    }
    for (const d of entries)
      if (!names.has(d) && !inFlight.has(d))
        fs.rmSync(path.join(pvRoot, d), { recursive: true, force: true });
  }

  async function start() {
    fs.mkdirSync(pvRoot, { recursive: true });
    await applyClass();
    await collect().catch(e => log(`provisioner: ${e.message}`));
    kube.listWatch('/api/v1/persistentvolumes', {}, onVolume, log);
    kube.listWatch('/api/v1/persistentvolumeclaims', {}, onClaim, log);
    log(
      `provisioner ${PROVISIONER} serves StorageClass ${STORAGE_CLASS} (default) from ${pvRoot}`,
    );
  }

  return { start };
}
