"""A Docker/OCI registry client (Distribution API over httpx): tags, manifests, configs, deletes, auth, retries."""
