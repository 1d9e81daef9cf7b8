import pytest

from asynclint.app.testing import FIXTURES


def pytest_addoption(parser):
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        help="rewrite the fixtures' .fixed/.unsafe-fixed files from the current fixer (review the diff)",
    )


@pytest.fixture
def update_fixtures(request):
    return request.config.getoption("--update-fixtures")


@pytest.fixture
def fixtures_dir():
    return FIXTURES
