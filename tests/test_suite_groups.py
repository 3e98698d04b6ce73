"""How .ci/run splits the suite between two processes (tests/conftest.py): this test is in the group of every
test but the studies, and where pytest-xdist runs with ``--dist loadgroup`` the group reaches its scheduler."""

from __future__ import annotations

import pytest


def groups_of(request) -> tuple[list[str], bool]:
    """The node's xdist groups, and whether the scheduler saw them (``--dist loadgroup`` suffixes the id)."""
    config = request.config
    if not config.pluginmanager.hasplugin("xdist"):
        pytest.skip("pytest-xdist is not installed")
    groups = [m.args[0] for m in request.node.iter_markers("xdist_group")]
    scheduled = config.getoption("dist") != "loadgroup" or request.node.nodeid.endswith(f"@{groups[0]}")
    return groups, scheduled


def test_every_test_but_the_studies_is_in_one_group(request):
    assert groups_of(request) == (["rest"], True)
