import pytest

from asynclint.testing import FIXTURES


@pytest.fixture
def fixtures_dir():
    return FIXTURES
