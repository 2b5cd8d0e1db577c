"""Operations: prefect.yaml deployments, the CI webhook receiver, Kubernetes manifests."""
