"""A real Kubernetes control plane for the tests: etcd, kube-apiserver and kube-controller-manager
on loopback (control_plane.py), built pinned by tests/host_tools.py."""
