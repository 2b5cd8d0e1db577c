"""Git: repositories (local and remote), mappings, path matching, archives, patches, dependency checksums."""
