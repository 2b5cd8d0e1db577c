"""Multi-stage resolution: which Dockerfile stages the target needs, and each instruction after substitution.

BuildKit's rules: ARGs before the first FROM are global (usable in FROM lines; a stage re-declares `ARG NAME` to
use one); build arguments override ARG defaults; ENV overrides an ARG of the same name; substitution happens in
ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG defaults and the --from/--chown/--chmod
flags, never in RUN, CMD, ENTRYPOINT, SHELL or HEALTHCHECK (the shell sees those). `FROM <stage>` continues an
earlier stage; `--target` picks the last stage built; ONBUILD triggers of the base run right after FROM.

The result is data only: per needed stage, its base and a list of steps, each with the exact text that goes into
its digest and the runtime config it leaves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werf_core.dockerfile import image_config as cfg
from werf_core.dockerfile.errors import DockerfileError
from werf_core.dockerfile.parser import Dockerfile, Heredoc, RawInstruction, parse_dockerfile
from werf_core.dockerfile.words import Lexer, WordError
from werf_core.layers.config import set_env
from werf_core.platforms import Platform, host_platform

PLATFORM_ARG_NAMES = frozenset(f"{kind}{part}" for kind in ("TARGET", "BUILD")
                                for part in ("PLATFORM", "OS", "ARCH", "VARIANT"))
# flags each instruction accepts (BuildKit's); anything else is refused with its line
ALLOWED_FLAGS = {"FROM": {"platform"}, "COPY": {"from", "chown", "chmod", "link"}, "ADD": {"chown", "chmod", "link"},
                 "RUN": {"mount", "network", "security"}, "HEALTHCHECK": {"interval", "timeout", "start-period",
                                                                          "start-interval", "retries"}}
MAX_STAGES = 256
BaseConfigResolver = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class SecretMount:
    """`RUN --mount=type=secret`: the file `target` (None with only `env=`) and/or the variable `env`."""

    id: str
    target: str | None
    required: bool
    mode: int = 0o400
    uid: int = 0
    gid: int = 0
    env: str | None = None


# BuildKit's secret mount options (`dst`/`destination` spell `target`; `env` is dockerfile frontend 1.10+)
_SECRET_OPTIONS = frozenset({"type", "id", "target", "dst", "destination", "required", "mode", "uid", "gid", "env"})


@dataclass(frozen=True)
class RunStep:
    argv: tuple[str, ...]
    env: tuple[str, ...]          # the container's environment: the image's plus the build args in scope
    user: str
    workdir: str
    network: str                  # "none" (default: like --network=none) | "host" | "default"
    secrets: tuple[SecretMount, ...] = ()
    ssh: bool = False


@dataclass(frozen=True)
class CopyStep:
    sources: tuple[str, ...]      # as substituted (context- or stage-relative)
    dest: str                     # absolute
    dest_is_dir: bool
    from_stage: int | None        # index of a Dockerfile stage
    from_image: str | None        # an external image reference
    chown: str | None
    chmod: int | None
    is_add: bool
    heredocs: tuple[Heredoc, ...] = ()


@dataclass(frozen=True)
class Step:
    index: int                    # 1-based position in the Dockerfile's instruction list (for the stage name)
    keyword: str
    line: int
    text: str                     # canonical, substituted: the digest input (with the build args it uses)
    config: dict[str, Any]        # the runtime config after the step
    run: RunStep | None = None
    copy: CopyStep | None = None
    mkdir: str | None = None      # WORKDIR: the directory to create when missing
    author: str | None = None

    @property
    def name(self) -> str:
        return f"{self.keyword}#{self.index}"


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None
    line: int
    position: int                 # 1-based position of its FROM in the Dockerfile's instruction list
    base_image: str | None        # an external reference; None with base_stage or for scratch
    base_stage: int | None
    steps: tuple[Step, ...]
    config: dict[str, Any]        # the final runtime config
    platform: str = ""            # the platform the stage is built for (`FROM --platform`, else the target's)

    @property
    def is_scratch(self) -> bool:
        return self.base_image is None and self.base_stage is None


@dataclass(frozen=True)
class Plan:
    path: str
    stages: tuple[Stage, ...]     # the needed stages, dependencies first; the last one is the target
    unused_args: tuple[str, ...] = ()

    @property
    def target(self) -> Stage:
        return self.stages[-1]

    def stage(self, index: int) -> Stage:
        for stage in self.stages:
            if stage.index == index:
                return stage
        raise KeyError(index)


@dataclass
class _StageSource:
    index: int
    name: str | None
    from_line: RawInstruction
    instructions: list[RawInstruction] = field(default_factory=list)


def load_plan(text: str, path: str, *, build_args: Mapping[str, str], target: str | None,
              base_config: BaseConfigResolver, ssh: bool = False, secrets: frozenset[str] = frozenset(),
              platform: Platform | None = None) -> Plan:
    return plan(parse_dockerfile(text, path), build_args=build_args, target=target, base_config=base_config,
                ssh=ssh, secrets=secrets, platform=platform)


def plan(dockerfile: Dockerfile, *, build_args: Mapping[str, str], target: str | None,
         base_config: BaseConfigResolver, ssh: bool = False, secrets: frozenset[str] = frozenset(),
         platform: Platform | None = None) -> Plan:
    """`platform` is the target platform (default: the host's); `base_config(reference, platform)` reads the
    runtime config of a base image for a platform."""
    return _Planner(dockerfile, build_args, base_config, ssh, secrets, platform or host_platform()).run(target)


class _Planner:
    def __init__(self, dockerfile: Dockerfile, build_args: Mapping[str, str], base_config: BaseConfigResolver,
                 ssh: bool, secrets: frozenset[str], platform: Platform) -> None:
        self.platform = platform
        self.platform_args = {**platform.build_args("TARGET"), **host_platform().build_args("BUILD")}
        self.dockerfile = dockerfile
        self.path = dockerfile.path
        self.build_args = dict(build_args)
        self.base_config = base_config
        self.ssh = ssh
        self.secrets = secrets
        self.used_args: set[str] = set()
        self.global_args: dict[str, str | None] = {}
        self.stages: list[_StageSource] = []
        self.positions = {id(ins): n for n, ins in enumerate(dockerfile.instructions, start=1)}

    def error(self, message: str, line: int, hint: str | None = None) -> DockerfileError:
        return DockerfileError(message, path=self.path, line=line, hint=hint)

    def lexer(self) -> Lexer:
        return Lexer(escape=self.dockerfile.escape)

    def word(self, lexer: Lexer, text: str, env: Mapping[str, str], line: int) -> str:
        try:
            return lexer.word(text, env)
        except WordError as err:
            raise self.error(f"{err} in {text!r}", line) from None

    def words(self, lexer: Lexer, text: str, env: Mapping[str, str], line: int) -> list[str]:
        try:
            return lexer.words(text, env)
        except WordError as err:
            raise self.error(f"{err} in {text!r}", line) from None

    # ------------------------------------------------------------------ structure
    def run(self, target: str | None) -> Plan:
        instructions = list(self.dockerfile.instructions)
        if not any(i.keyword == "FROM" for i in instructions):
            raise self.error("the Dockerfile has no FROM instruction", 1 if not instructions else
                             instructions[0].line)
        global_env = dict(self.platform_args)
        current: _StageSource | None = None
        for ins in instructions:
            self.check_flags(ins)
            if ins.keyword == "FROM":
                current = _StageSource(index=len(self.stages), name=None, from_line=ins)
                if len(self.stages) >= MAX_STAGES:
                    raise self.error(f"more than {MAX_STAGES} stages", ins.line)
                self.stages.append(current)
                current.name = self.stage_name(ins, global_env)
                continue
            if current is None:
                if ins.keyword != "ARG":
                    raise self.error(f"{ins.keyword} before the first FROM: only ARG may come before FROM", ins.line)
                for name, value in self.arg_pairs(ins, global_env):
                    resolved = self.build_args.get(name, value)
                    self.global_args[name] = resolved
                    if resolved is not None:
                        global_env[name] = resolved
                    if name in self.build_args:
                        self.used_args.add(name)
                continue
            current.instructions.append(ins)
        chosen = self.target_index(target)
        needed = self.needed(chosen)
        planned: dict[int, Stage] = {}
        for index in sorted(needed):
            planned[index] = self.plan_stage(self.stages[index], planned, global_env)
        unused = tuple(sorted(set(self.build_args) - self.used_args))
        return Plan(path=self.path, stages=tuple(planned[i] for i in sorted(needed)), unused_args=unused)

    def check_flags(self, ins: RawInstruction) -> None:
        allowed = ALLOWED_FLAGS.get(ins.keyword, set())
        for name, _ in ins.flags:
            if name not in allowed:
                raise self.error(f"unknown flag --{name} for {ins.keyword}", ins.line,
                                 hint=f"{ins.keyword} accepts " + (", ".join(f"--{f}" for f in sorted(allowed))
                                                                   or "no flags"))

    def stage_name(self, ins: RawInstruction, env: Mapping[str, str]) -> str | None:
        words = ins.args.split()
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2].lower()
            if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
                raise self.error(f"invalid stage name {words[2]!r}", ins.line)
            if any(s.name == name for s in self.stages[:-1]):
                raise self.error(f"duplicate stage name {name!r}", ins.line)
            return name
        if len(words) != 1:
            raise self.error("FROM requires one image (and optionally `AS name`)", ins.line)
        return None

    def target_index(self, target: str | None) -> int:
        if not target:
            return len(self.stages) - 1
        for stage in self.stages:
            if stage.name == target.lower():
                return stage.index
        raise self.error(f"target stage {target!r} could not be found", 0,
                         hint="check `target:` in werf.yaml against the `FROM … AS name` lines")

    def stage_ref(self, value: str, before: int, line: int) -> int | None:
        """The index of an earlier stage named (or numbered) `value`, None for an external image."""
        lowered = value.lower()
        for stage in self.stages[:before]:
            if stage.name == lowered:
                return stage.index
        if value.isdigit():
            number = int(value)
            if number >= before:
                raise self.error(f"stage {number} is not an earlier stage", line)
            return number
        if any(s.name == lowered for s in self.stages[before:]):
            raise self.error(f"stage {value!r} is used before it is defined", line)
        return None

    def platform_of(self, source: _StageSource, global_env: Mapping[str, str]) -> str:
        """`FROM --platform=…` (substituted with the global ARGs), else the target platform."""
        ins = source.from_line
        flag = ins.flag("platform")
        if flag is None:
            return str(self.platform)
        value = self.word(self.lexer(), flag, global_env, ins.line)
        try:
            return str(Platform.parse(value))
        except ValueError as err:
            raise self.error(f"FROM --platform={value}: {err}", ins.line) from None

    def base_of(self, source: _StageSource, global_env: Mapping[str, str]) -> tuple[str | None, int | None]:
        lexer = self.lexer()
        ins = source.from_line
        words = self.words(lexer, ins.args, global_env, ins.line)
        self.note_used(lexer, global_env)
        image = words[0] if words else ""
        if not image:
            raise self.error(f"FROM {ins.args!r} names no image after substitution", ins.line,
                             hint="pass the build argument in werf.yaml `args:` or give the ARG a default")
        if image.lower() == "scratch":
            return None, None
        stage = self.stage_ref(image, source.index, ins.line)
        return (None, stage) if stage is not None else (image, None)

    def needed(self, chosen: int) -> set[int]:
        result: set[int] = set()
        pending = [chosen]
        while pending:
            index = pending.pop()
            if index in result:
                continue
            result.add(index)
            source = self.stages[index]
            words = source.from_line.args.split()
            if words:
                ref = self._static_ref(words[0], index)
                if ref is not None:
                    pending.append(ref)
            for ins in source.instructions:
                value = ins.flag("from") if ins.keyword == "COPY" else None
                for mount in [v for n, v in ins.flags if n == "mount" and v]:
                    for part in mount.split(","):
                        key, _, val = part.partition("=")
                        if key == "from" and val:
                            value = val
                if value:
                    ref = self._static_ref(value, index)
                    if ref is not None:
                        pending.append(ref)
        return result

    def _static_ref(self, value: str, before: int) -> int | None:
        lowered = value.lower()
        for stage in self.stages[:before]:
            if stage.name == lowered:
                return stage.index
        if value.isdigit() and int(value) < before:
            return int(value)
        return None

    def note_used(self, lexer: Lexer, args: Mapping[str, str | None]) -> set[str]:
        used = {n for n in lexer.used if n in args}
        self.used_args.update(n for n in used if n in self.build_args)
        return used

    def arg_pairs(self, ins: RawInstruction, env: Mapping[str, str]) -> list[tuple[str, str | None]]:
        pairs: list[tuple[str, str | None]] = []
        for word in _split_unquoted(ins.args, self.dockerfile.escape):
            name, equals, default = word.partition("=")
            if not name or not (name[0].isalpha() or name[0] == "_") or \
                    not name.replace("_", "").isalnum():
                raise self.error(f"ARG {ins.args!r}: invalid name {name!r}", ins.line)
            value = self.word(self.lexer(), default, env, ins.line) if equals else None
            pairs.append((name, value))
        if not pairs:
            raise self.error("ARG requires a name", ins.line)
        return pairs

    # ------------------------------------------------------------------ one stage
    def plan_stage(self, source: _StageSource, planned: Mapping[int, Stage], global_env: Mapping[str, str]) -> Stage:
        base_image, base_stage = self.base_of(source, global_env)
        platform = self.platform_of(source, global_env)
        if base_stage is not None:
            config = cfg.inherited(planned[base_stage].config)
            triggers = list(planned[base_stage].config.get("OnBuild") or [])
            if source.from_line.flag("platform") is None:
                platform = planned[base_stage].platform
        elif base_image is not None:
            base = self.base_config(base_image, platform) or {}
            config = cfg.inherited(base)
            triggers = list(base.get("OnBuild") or [])
        else:
            config, triggers = cfg.scratch_config(), []
        state = _StageState(planner=self, stage=source, config=config)
        instructions = [*self.trigger_instructions(triggers, source.from_line), *source.instructions]
        steps = [step for ins in instructions if (step := state.step(ins)) is not None]
        return Stage(index=source.index, name=source.name, line=source.from_line.line,
                     position=self.positions.get(id(source.from_line), 0), base_image=base_image,
                     base_stage=base_stage, steps=tuple(steps), config=state.config, platform=platform)

    def trigger_instructions(self, triggers: list[str], from_line: RawInstruction) -> list[RawInstruction]:
        result: list[RawInstruction] = []
        for trigger in triggers:
            parsed = parse_dockerfile(str(trigger) + "\n", self.path).instructions
            for ins in parsed:
                if ins.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
                    raise self.error(f"{ins.keyword} is not allowed as an ONBUILD trigger of the base image",
                                     from_line.line)
                result.append(RawInstruction(keyword=ins.keyword, args=ins.args, line=from_line.line,
                                             end_line=from_line.line, original=ins.original, flags=ins.flags,
                                             heredocs=ins.heredocs))
        return result


class _StageState:
    """The running state of one stage while its instructions are planned."""

    def __init__(self, *, planner: _Planner, stage: _StageSource, config: dict[str, Any]) -> None:
        self.planner = planner
        self.stage = stage
        self.config = config
        self.args: dict[str, str | None] = {}   # declared in this stage
        self.cmd_set = False

    # the environment substitution sees: declared args, overridden by the image's ENV
    def env(self) -> dict[str, str]:
        result = {k: v for k, v in self.args.items() if v is not None}
        result.update(cfg.env_map(self.config))
        return result

    def args_used(self, lexer: Lexer) -> dict[str, str]:
        env = cfg.env_map(self.config)
        used = self.planner.note_used(lexer, self.args)
        return {n: self.args[n] or "" for n in sorted(used) if n not in env and self.args.get(n) is not None}

    def step(self, ins: RawInstruction) -> Step | None:
        handler = getattr(self, "do_" + ins.keyword.lower())
        result: Step | None = handler(ins)
        return result

    def make(self, ins: RawInstruction, payload: dict[str, Any], **extra: Any) -> Step:
        text = json.dumps({"instruction": ins.keyword, **payload}, sort_keys=True, separators=(",", ":"))
        position = self.planner.positions.get(id(ins), 0)
        return Step(index=position or self.stage.from_line.line, keyword=ins.keyword, line=ins.line, text=text,
                    config=_snapshot(self.config), **extra)

    # ------------------------------------------------------------------ instructions
    def do_arg(self, ins: RawInstruction) -> Step | None:
        for name, default in self.planner.arg_pairs(ins, self.env()):
            if name in self.planner.build_args:
                value: str | None = self.planner.build_args[name]
                self.planner.used_args.add(name)
            elif default is not None:
                value = default
            elif name in PLATFORM_ARG_NAMES:
                value = self.planner.platform_args[name]
            else:
                value = self.planner.global_args.get(name)
            self.args[name] = value
        return None   # ARG changes no image: its values enter the digests of the steps that use them

    def _pairs(self, ins: RawInstruction, what: str) -> list[tuple[str, str]]:
        lexer = self.planner.lexer()
        env = self.env()
        words = _split_unquoted(ins.args, self.planner.dockerfile.escape)
        if not words:
            raise self.planner.error(f"{what} requires at least one argument", ins.line)
        pairs: list[tuple[str, str]] = []
        if "=" not in words[0]:
            # the legacy form `ENV key value`: the rest of the line is the value
            key, _, rest = ins.args.strip().partition(" ")
            if not rest.strip() and what == "ENV":
                raise self.planner.error("ENV names a variable without a value", ins.line)
            pairs.append((self.planner.word(lexer, key, env, ins.line),
                          self.planner.word(lexer, rest.strip(), env, ins.line)))
        else:
            for word in words:
                key, equals, value = word.partition("=")
                if not equals or not key:
                    raise self.planner.error(f"{what} expects key=value pairs, got {word!r}", ins.line)
                pairs.append((self.planner.word(lexer, key, env, ins.line),
                              self.planner.word(lexer, value, env, ins.line)))
        self._last_args = self.args_used(lexer)
        return pairs

    def do_env(self, ins: RawInstruction) -> Step:
        pairs = self._pairs(ins, "ENV")
        for key, value in pairs:
            set_env(self.config, key, value)
        return self.make(ins, {"env": pairs, "args": self._last_args})

    def do_label(self, ins: RawInstruction) -> Step:
        pairs = self._pairs(ins, "LABEL")
        labels = dict(self.config.get("Labels") or {})
        labels.update(pairs)
        self.config["Labels"] = labels
        return self.make(ins, {"labels": pairs, "args": self._last_args})

    def do_maintainer(self, ins: RawInstruction) -> Step:
        return self.make(ins, {"author": ins.args}, author=ins.args)

    def _single(self, ins: RawInstruction) -> tuple[str, dict[str, str]]:
        lexer = self.planner.lexer()
        value = self.planner.word(lexer, ins.args, self.env(), ins.line)
        return value, self.args_used(lexer)

    def do_workdir(self, ins: RawInstruction) -> Step:
        value, used = self._single(ins)
        if not value:
            raise self.planner.error("WORKDIR requires a path", ins.line)
        path = cfg.workdir(self.config, value)
        self.config["WorkingDir"] = path
        return self.make(ins, {"workdir": path, "args": used}, mkdir=path)

    def do_user(self, ins: RawInstruction) -> Step:
        value, used = self._single(ins)
        if not value:
            raise self.planner.error("USER requires a user name or ID", ins.line)
        self.config["User"] = value
        return self.make(ins, {"user": value, "args": used})

    def do_stopsignal(self, ins: RawInstruction) -> Step:
        value, used = self._single(ins)
        if not value:
            raise self.planner.error("STOPSIGNAL requires a signal", ins.line)
        self.config["StopSignal"] = value
        return self.make(ins, {"stopsignal": value, "args": used})

    def do_expose(self, ins: RawInstruction) -> Step:
        lexer = self.planner.lexer()
        ports = self.planner.words(lexer, ins.args, self.env(), ins.line)
        exposed = dict(self.config.get("ExposedPorts") or {})
        for spec in ports:
            try:
                for port in cfg.exposed(spec):
                    exposed[port] = {}
            except ValueError as err:
                raise self.planner.error(str(err), ins.line) from None
        self.config["ExposedPorts"] = exposed
        return self.make(ins, {"expose": ports, "args": self.args_used(lexer)})

    def do_volume(self, ins: RawInstruction) -> Step:
        lexer = self.planner.lexer()
        listed = _json_list(ins.args)
        env = self.env()
        if listed is not None:
            paths = [self.planner.word(lexer, p, env, ins.line) for p in listed]
        else:
            paths = self.planner.words(lexer, ins.args, env, ins.line)
        if not paths or any(not p.strip() for p in paths):
            raise self.planner.error("VOLUME specified can not be an empty string", ins.line)
        volumes = dict(self.config.get("Volumes") or {})
        for path in paths:
            volumes[path] = {}
        self.config["Volumes"] = volumes
        return self.make(ins, {"volumes": paths, "args": self.args_used(lexer)})

    def _command(self, ins: RawInstruction) -> list[str]:
        listed = _json_list(ins.args)
        if listed is not None:
            return listed
        return [*cfg.shell_of(self.config), ins.args]

    def do_cmd(self, ins: RawInstruction) -> Step:
        command = self._command(ins)
        self.config["Cmd"] = command
        self.cmd_set = True
        return self.make(ins, {"cmd": command})

    def do_entrypoint(self, ins: RawInstruction) -> Step:
        command = self._command(ins)
        self.config["Entrypoint"] = command
        if not self.cmd_set:
            self.config["Cmd"] = None
        return self.make(ins, {"entrypoint": command})

    def do_shell(self, ins: RawInstruction) -> Step:
        listed = _json_list(ins.args)
        if not listed:
            raise self.planner.error("SHELL requires the arguments in JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]",
                                     ins.line)
        self.config["Shell"] = listed
        return self.make(ins, {"shell": listed})

    def do_onbuild(self, ins: RawInstruction) -> Step:
        trigger = ins.original.split(None, 1)[1] if " " in ins.original else ""
        keyword = trigger.split(None, 1)[0].upper() if trigger.strip() else ""
        if keyword in ("ONBUILD", "FROM", "MAINTAINER", ""):
            raise self.planner.error(f"{keyword or 'an empty trigger'} is not allowed as an ONBUILD trigger",
                                     ins.line)
        if keyword not in ("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL",
                           "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"):
            raise self.planner.error(f"unknown instruction in ONBUILD: {keyword}", ins.line)
        self.config["OnBuild"] = [*(self.config.get("OnBuild") or []), trigger.strip()]
        return self.make(ins, {"onbuild": trigger.strip()})

    def do_healthcheck(self, ins: RawInstruction) -> Step:
        words = ins.args.split(None, 1)
        kind = words[0].upper() if words else ""
        if kind == "NONE":
            if len(words) > 1 or ins.flags:
                raise self.planner.error("HEALTHCHECK NONE takes no arguments", ins.line)
            check: dict[str, Any] = {"Test": ["NONE"]}
        elif kind == "CMD" and len(words) > 1:
            listed = _json_list(words[1])
            test = ["CMD", *listed] if listed is not None else ["CMD-SHELL", words[1]]
            check = {"Test": test}
            for flag, key in (("interval", "Interval"), ("timeout", "Timeout"), ("start-period", "StartPeriod"),
                              ("start-interval", "StartInterval")):
                raw = ins.flag(flag)
                if raw is not None:
                    try:
                        check[key] = _go_duration(raw)
                    except ValueError:
                        raise self.planner.error(f"HEALTHCHECK --{flag}={raw}: not a duration", ins.line) from None
            retries = ins.flag("retries")
            if retries is not None:
                if not retries.isdigit():
                    raise self.planner.error(f"HEALTHCHECK --retries={retries}: not a number", ins.line)
                check["Retries"] = int(retries)
        else:
            raise self.planner.error("HEALTHCHECK requires NONE or CMD <command>", ins.line)
        self.config["Healthcheck"] = check
        return self.make(ins, {"healthcheck": check})

    def do_run(self, ins: RawInstruction) -> Step:
        network = (ins.flag("network") or "default").lower()
        if network not in ("default", "none", "host"):
            raise self.planner.error(f"RUN --network={network} is not supported (default, none or host)", ins.line)
        if ins.flag("security") not in (None, "sandbox"):
            raise self.planner.error(f"RUN --security={ins.flag('security')} is not supported", ins.line)
        secrets: list[SecretMount] = []
        ssh = False
        for name, value in ins.flags:
            if name != "mount":
                continue
            options = dict(part.partition("=")[::2] for part in (value or "").split(","))
            kind = options.get("type", "bind")
            if kind == "secret":
                mount = self._secret_mount(ins, options)
                if mount is not None:
                    secrets.append(mount)
            elif kind == "ssh":
                if not self.planner.ssh:
                    raise self.planner.error("RUN --mount=type=ssh needs an SSH agent, but the image has no `ssh:`",
                                             ins.line, hint="set `ssh: default` for the image in werf.yaml")
                raise self.planner.error("RUN --mount=type=ssh is not supported by werf-prefect yet", ins.line)
            else:
                raise self.planner.error(f"RUN --mount=type={kind} is not supported by werf-prefect", ins.line,
                                         hint="supported: --mount=type=secret")
        if ins.heredocs:
            command = self._heredoc_command(ins)
        else:
            command = self._command(ins)
        env_list = list(self.config.get("Env") or [])
        names = {e.partition("=")[0] for e in env_list}
        if "PATH" not in names:
            env_list.append(f"PATH={cfg.DEFAULT_PATH}")
        args = {k: v for k, v in sorted(self.args.items()) if v is not None and k not in names}
        self.planner.used_args.update(n for n in args if n in self.planner.build_args)
        env_list.extend(f"{k}={v}" for k, v in args.items())
        run = RunStep(argv=tuple(command), env=tuple(env_list), user=str(self.config.get("User") or ""),
                      workdir=str(self.config.get("WorkingDir") or "/"), network=network,
                      secrets=tuple(secrets), ssh=ssh)
        # the digest names the mounts, never the secrets' content (BuildKit's cache key does the same)
        return self.make(ins, {"run": command, "args": args, "network": network,
                               "secrets": [f"{s.id}:{s.target or ''}:{s.env or ''}:{s.mode:o}:{s.uid}:{s.gid}"
                                           for s in secrets]}, run=run)

    def _secret_mount(self, ins: RawInstruction, options: dict[str, str]) -> SecretMount | None:
        unknown = sorted(set(options) - _SECRET_OPTIONS)
        if unknown:
            raise self.planner.error(f"RUN --mount=type=secret: unknown option {unknown[0]!r}", ins.line,
                                     hint="secret mounts take id, target, required, mode, uid, gid and env")
        target = options.get("target") or options.get("dst") or options.get("destination") or None
        env = options.get("env") or None
        secret_id = options.get("id") or (target or "").rstrip("/").rsplit("/", 1)[-1]
        if not secret_id:
            raise self.planner.error("RUN --mount=type=secret needs an id (or a target to take it from)", ins.line)
        numbers: dict[str, int] = {}
        for key, base, default in (("mode", 8, 0o400), ("uid", 10, 0), ("gid", 10, 0)):
            text = options.get(key)
            try:
                numbers[key] = int(text, base) if text else default
            except ValueError:
                raise self.planner.error(f"RUN --mount=type=secret: {key}={text} is not a number", ins.line) from None
        if numbers["mode"] > 0o7777:
            raise self.planner.error(f"RUN --mount=type=secret: mode={options['mode']} is out of range", ins.line)
        if env is not None and not env.replace("_", "a").isalnum():
            raise self.planner.error(f"RUN --mount=type=secret: env={env} is not a variable name", ins.line)
        required = options.get("required", "false").lower() in ("true", "")
        if secret_id not in self.planner.secrets:
            if required:
                raise self.planner.error(f"RUN --mount=type=secret,id={secret_id}: no such secret is configured",
                                         ins.line, hint="declare it under `secrets:` of the image in werf.yaml")
            return None   # BuildKit: an optional secret that is not given is simply not mounted
        if target is None and env is None:
            target = f"/run/secrets/{secret_id}"
        if target is not None and not target.startswith("/"):
            target = cfg.workdir({"WorkingDir": str(self.config.get("WorkingDir") or "/")}, target)
        return SecretMount(id=secret_id, target=target, required=required, mode=numbers["mode"], uid=numbers["uid"],
                           gid=numbers["gid"], env=env)

    def _heredoc_command(self, ins: RawInstruction) -> list[str]:
        shell = cfg.shell_of(self.config)
        first = ins.heredocs[0]
        if len(ins.heredocs) == 1 and ins.args.strip() in (f"<<{first.name}", f"<<-{first.name}",
                                                           f"<<\"{first.name}\"", f"<<'{first.name}'"):
            if first.content.startswith("#!"):
                raise self.planner.error("a RUN heredoc starting with #! is not supported yet", ins.line)
            return [*shell, first.content]
        # the shell reads the heredocs itself
        body = ins.args + "\n" + "".join(h.content + h.name + "\n" for h in ins.heredocs)
        return [*shell, body]

    def do_copy(self, ins: RawInstruction) -> Step:
        return self._copy(ins, is_add=False)

    def do_add(self, ins: RawInstruction) -> Step:
        return self._copy(ins, is_add=True)

    def _copy(self, ins: RawInstruction, *, is_add: bool) -> Step:
        lexer = self.planner.lexer()
        env = self.env()
        listed = _json_list(ins.args)
        heredocs = ins.heredocs
        if listed is not None:
            words = [self.planner.word(lexer, w, env, ins.line) for w in listed]
        else:
            words = self.planner.words(lexer, ins.args, env, ins.line)
        if heredocs:
            markers = {m for h in heredocs for m in (f"<<{h.name}", f"<<-{h.name}", f"<<\"{h.name}\"",
                                                      f"<<'{h.name}'")}
            words = [w for w in words if w not in markers]
            heredocs = tuple(Heredoc(name=h.name, expand=h.expand, chomp=h.chomp,
                                     content=self.planner.word(lexer, _literal_quotes(h.content, self.planner.dockerfile.escape),
                                                              env, ins.line)
                                     if h.expand else h.content) for h in heredocs)
        if len(words) + len(heredocs) < 2 and not (heredocs and len(words) == 1):
            raise self.planner.error(f"{ins.keyword} requires at least two arguments (sources and a destination)",
                                     ins.line)
        *sources, dest = words
        for source in sources:
            if "://" in source:
                raise self.planner.error(f"ADD {source}: remote sources are not supported (builds use no network)"
                                         if is_add else f"COPY {source}: a URL is not a context path", ins.line,
                                         hint="download the file into the build context (or use a stage)")
        from_value = ins.flag("from")
        from_stage: int | None = None
        from_image: str | None = None
        if from_value is not None:
            resolved = self.planner.word(lexer, from_value, env, ins.line)
            from_stage = self.planner.stage_ref(resolved, self.stage.index, ins.line)
            if from_stage is None:
                from_image = resolved
        chown = ins.flag("chown")
        chown = self.planner.word(lexer, chown, env, ins.line) if chown else None
        chmod_text = ins.flag("chmod")
        chmod: int | None = None
        if chmod_text:
            chmod_text = self.planner.word(lexer, chmod_text, env, ins.line)
            try:
                chmod = int(chmod_text, 8)
            except ValueError:
                raise self.planner.error(f"--chmod={chmod_text}: expected an octal mode", ins.line) from None
            if chmod > 0o7777:
                raise self.planner.error(f"--chmod={chmod_text}: mode out of range", ins.line)
        # BuildKit: a wildcard matching one file copies it *to* dest (several matches go into it, as does an
        # existing directory: decided when the step is built); the digest text keeps its earlier form
        dest_is_dir = dest.endswith("/") or len(sources) + len(heredocs) > 1 or dest in (".", "..")
        text_dir = dest_is_dir or any(_has_glob(s) for s in sources)
        base = str(self.config.get("WorkingDir") or "/")
        absolute = cfg.workdir({"WorkingDir": base}, dest)
        copy = CopyStep(sources=tuple(sources), dest=absolute, dest_is_dir=dest_is_dir, from_stage=from_stage,
                        from_image=from_image, chown=chown, chmod=chmod, is_add=is_add, heredocs=heredocs)
        payload = {"sources": sources, "dest": absolute, "dir": text_dir, "from": from_value and
                   (f"stage:{from_stage}" if from_stage is not None else from_image), "chown": chown, "chmod": chmod,
                   "heredocs": [h.content for h in heredocs], "args": self.args_used(lexer)}
        return self.make(ins, payload, copy=copy)


def _literal_quotes(text: str, escape: str) -> str:
    """A heredoc body for substitution: quotes and the escape character stay literal, `$` still expands."""
    return text.replace(escape, escape * 2).replace('"', escape + '"').replace("'", escape + "'")


def _has_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def _snapshot(config: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(config))
    return copied


def _json_list(text: str) -> list[str] | None:
    stripped = text.strip()
    if not stripped.startswith("["):
        return None
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _split_unquoted(text: str, escape: str) -> list[str]:
    """Words split on unquoted whitespace, quotes and escapes kept (BuildKit's parseNameVal tokenizer)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == escape and index + 1 < len(text):
            current.append(char + text[index + 1])
            index += 2
            continue
        if quote:
            if char == quote:
                quote = ""
            current.append(char)
        elif char in ("'", '"'):
            quote = char
            current.append(char)
        elif char.isspace():
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
        index += 1
    if current:
        words.append("".join(current))
    return words


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
          "h": 3_600_000_000_000}


def _go_duration(text: str) -> int:
    """Go's time.ParseDuration → nanoseconds (HEALTHCHECK flags)."""
    import re
    if text in ("0",):
        return 0
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(text)
    return int(sum(float(n) * _UNITS[u] for n, u in parts))
