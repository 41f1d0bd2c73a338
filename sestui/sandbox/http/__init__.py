"""HTTP plumbing: the gateway in front of moto, wire protocols, moto patches, faults, the control route."""
