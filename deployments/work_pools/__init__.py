"""Base job templates for Docker and Kubernetes work pools that run werf-prefect builds (see README.md here)."""
