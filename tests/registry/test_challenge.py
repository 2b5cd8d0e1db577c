"""WWW-Authenticate parsing: the header registries answer 401 with decides how we authenticate."""

from werf_core.registry.challenge import parse_www_authenticate, preferred_challenge


def test_docker_hub_bearer_challenge():
    [c] = parse_www_authenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                                 'scope="repository:library/alpine:pull"')
    assert c.scheme == "bearer"
    assert c.realm == "https://auth.docker.io/token"
    assert c.service == "registry.docker.io"
    assert c.scopes == ("repository:library/alpine:pull",)


def test_commas_inside_quoted_scope_do_not_split_parameters():
    [c] = parse_www_authenticate('Bearer realm="https://a/t",scope="repository:app:pull,push",service="s"')
    assert c.scopes == ("repository:app:pull,push",)
    assert c.service == "s"


def test_space_separated_scopes_and_error_parameter():
    [c] = parse_www_authenticate('Bearer realm="r",error="insufficient_scope",'
                                 'scope="repository:a:pull repository:b:pull,push"')
    assert c.scopes == ("repository:a:pull", "repository:b:pull,push")
    assert c.error == "insufficient_scope"


def test_basic_challenge_and_case_insensitive_names():
    [c] = parse_www_authenticate('BASIC Realm="Registry Realm"')
    assert c.scheme == "basic" and c.realm == "Registry Realm"


def test_escaped_quotes_and_unquoted_values():
    [c] = parse_www_authenticate(r'Bearer realm="a \"quoted\" realm", service=registry.local:5000')
    assert c.realm == 'a "quoted" realm'
    assert c.service == "registry.local:5000"


def test_several_challenges_in_one_header_and_preference_for_bearer():
    challenges = parse_www_authenticate('Basic realm="x", Bearer realm="https://t/token",service="svc"')
    assert [c.scheme for c in challenges] == ["basic", "bearer"]
    assert preferred_challenge(challenges).realm == "https://t/token"
    assert preferred_challenge(parse_www_authenticate('Basic realm="x"')).scheme == "basic"


def test_scheme_without_parameters_and_garbage_never_raise():
    assert [c.scheme for c in parse_www_authenticate("Negotiate")] == ["negotiate"]
    assert parse_www_authenticate("") == []
    assert parse_www_authenticate(None) == []
    assert preferred_challenge(parse_www_authenticate("Negotiate")) is None
    assert parse_www_authenticate('Bearer realm="unterminated')[0].realm == "unterminated"
    parse_www_authenticate(',,, = "x" ,Bearer =,')
