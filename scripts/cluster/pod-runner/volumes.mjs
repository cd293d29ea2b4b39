// Volumes as a kubelet mounts them, for processes that run on this machine instead of in
// containers: each volume of a pod is a real directory, and a container's paths under its
// volumeMounts are translated to those directories (in its environment and arguments), so that a
// process told MODEL_CACHE_DIR=/models or OLLAMA_MODELS=/root/.ollama/models writes into the
// pod's volume.
//
//   emptyDir                 <root>/pods/<pod uid>/<volume>   (removed with the pod)
//   persistentVolumeClaim    the bound volume's directory: <root>/pv/<pv name> for volumes of the
//                            local provisioner (provisioner.mjs), a directory of that name for
//                            any other PersistentVolume (never a hostPath elsewhere on the machine)
//   anything else            not mapped (ConfigMap, Secret and projected volumes are not needed
//                            by the processes run here)
// A claim that is not bound yet makes the pod wait (VolumeNotReady), as the kubelet waits to mount.
import fs from 'node:fs';
import path from 'node:path';

export class VolumeNotReady extends Error {}

export function createVolumes({ root, getClaim, getVolume }) {
  const pvRoot = path.join(root, 'pv');
  const podRoot = path.join(root, 'pods');

  /** The directory of a PersistentVolume, inside pvRoot whatever the volume says. */
  function pvDir(pv) {
    const hostPath = pv.spec?.hostPath?.path;
    if (hostPath && path.dirname(path.resolve(hostPath)) === pvRoot)
      return path.resolve(hostPath);
    return path.join(pvRoot, pv.metadata.name);
  }

  /** volume name → {dir, kind, claim?}: every volume of the pod that is a directory here. */
  async function resolve(pod) {
    const out = {};
    for (const v of pod.spec?.volumes || []) {
      if (v.emptyDir) {
        const dir = path.join(podRoot, pod.metadata.uid, v.name);
        fs.mkdirSync(dir, { recursive: true });
        out[v.name] = { dir, kind: 'emptyDir' };
      } else if (v.persistentVolumeClaim) {
        const claimName = v.persistentVolumeClaim.claimName;
        const claim = await getClaim(pod.metadata.namespace, claimName);
        if (!claim)
          throw new VolumeNotReady(
            `persistentvolumeclaim "${claimName}" not found`,
          );
        if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName)
          throw new VolumeNotReady(
            `persistentvolumeclaim "${claimName}" is not bound`,
          );
        const pv = await getVolume(claim.spec.volumeName);
        if (!pv)
          throw new VolumeNotReady(
            `persistentvolume "${claim.spec.volumeName}" not found`,
          );
        const dir = pvDir(pv);
        fs.mkdirSync(dir, { recursive: true });
        out[v.name] = {
          dir,
          kind: 'persistentVolumeClaim',
          claim: claimName,
          volume: pv.metadata.name,
        };
      }
    }
    return out;
  }

  /** A container's mounts that map to directories: [{mountPath, dir}], longest path first. */
  function mounts(container, volumes) {
    const out = [];
    for (const m of container.volumeMounts || []) {
      const v = volumes[m.name];
      if (!v || !m.mountPath) continue;
      let dir = v.dir;
      if (m.subPath) {
        const sub = path.resolve(v.dir, m.subPath);
        if (!sub.startsWith(v.dir + path.sep)) continue; // the API server refuses these anyway
        fs.mkdirSync(sub, { recursive: true });
        dir = sub;
      }
      out.push({
        mountPath: m.mountPath.replace(/\/+$/, '') || '/',
        dir,
        name: m.name,
      });
    }
    return out.sort((a, b) => b.mountPath.length - a.mountPath.length);
  }

  /** A path-like value under a mount, translated to the volume's directory; others unchanged. */
  function translate(value, containerMounts) {
    if (typeof value !== 'string') return value;
    for (const m of containerMounts) {
      if (value === m.mountPath) return m.dir;
      if (value.startsWith(`${m.mountPath}/`))
        return path.join(m.dir, value.slice(m.mountPath.length + 1));
      // --download-dir=/models style arguments
      const eq = value.indexOf('=');
      if (eq > 0) {
        const rest = value.slice(eq + 1);
        if (rest === m.mountPath || rest.startsWith(`${m.mountPath}/`))
          return `${value.slice(0, eq + 1)}${translate(rest, [m])}`;
      }
    }
    return value;
  }

  /** Removes a pod's emptyDir volumes (the pod is gone). */
  function removePod(uid) {
    fs.rmSync(path.join(podRoot, uid), { recursive: true, force: true });
  }

  return { resolve, mounts, translate, removePod, pvRoot, podRoot, pvDir };
}
