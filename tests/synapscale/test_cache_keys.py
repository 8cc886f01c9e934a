"""Cache keys are a function of the query's meaning, not of how its dict was built."""

from hypothesis import given
from hypothesis import strategies as st

from synapscale.cache.keys import entry_key, normalize_params

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10))
params_strategy = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.one_of(scalars, st.lists(scalars, max_size=3)),
    max_size=6,
)


def key(params, **overrides):
    arguments = {
        "namespace": "ns",
        "global_version": 0,
        "workspace_version": 0,
        "workspace_id": 1,
        "params": params,
    }
    arguments.update(overrides)
    return entry_key(**arguments)


@given(params_strategy)
def test_key_ignores_the_order_of_parameters(params):
    reordered = dict(reversed(list(params.items())))
    assert key(params) == key(reordered)


@given(params_strategy, params_strategy)
def test_keys_are_equal_exactly_when_the_json_is(a, b):
    assert (key(a) == key(b)) == (normalize_params(a) == normalize_params(b))


def test_huge_integers_and_unicode_are_keyed():
    assert key({"n": 2**80}) != key({"n": 2**80 + 1})
    assert key({"q": "café"}) != key({"q": "cafe"})


@given(params_strategy, st.integers(min_value=0, max_value=50))
def test_versions_and_workspaces_separate_keys(params, version):
    base = key(params)
    assert key(params, workspace_version=version + 1) != base
    assert key(params, global_version=version + 1) != base
    assert key(params, workspace_id=2) != base
    assert key(params, namespace="other") != base
