"""Dockerfile images as werf stages: parse (BuildKit's rules), plan (substitution, stages, config), digest, build.

- `parser`      — the Dockerfile's instructions with lines, flags, heredocs (dockerfile-parse plus BuildKit's rules);
- `words`       — BuildKit's word processing: quotes, escapes, `$X`, `${X}`, `${X:-d}`, `${X:+d}`;
- `instructions`— each instruction's arguments in typed form (before substitution);
- `image_config`— the image config an instruction produces from its parent's (ENV, CMD/ENTRYPOINT, …);
- `ignore`      — `.dockerignore` with Docker's pattern semantics;
- `context`     — the build context: files a COPY/ADD reads, their checksum (git object IDs where tracked);
- `plan`        — multi-stage resolution: target, ARG scopes, substitution, one step per instruction with its digest
  input.
"""
