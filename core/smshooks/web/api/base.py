"""The blueprint class every admin API module uses."""

from flask_smorest import Blueprint

from smshooks.web.errors import ARGUMENTS_PARSER


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose request parsing refuses what our store
    cannot hold (NUL, lone surrogates) and answers malformed JSON with 400."""

    ARGUMENTS_PARSER = ARGUMENTS_PARSER
