"""The parts the plugin contract is made of, beside ``hookspecs``, ``vendor``, ``events`` and ``targets``.

Like those, they import nothing else of the host, only each other. Plugins
import the errors, requests and HTTP helpers from :mod:`smshooks.vendor`, which
re-exports every name they use; a ``smshooks_classify`` hook imports its types
from :mod:`smshooks.contract.classification`.

- :mod:`~smshooks.contract.errors`: what an adapter raises, each with the host's answer;
- :mod:`~smshooks.contract.jsonsafe`: the one bounded JSON parser for vendor bodies;
- :mod:`~smshooks.contract.webhook_request`: the vendor's request, our answer, the nonce guard;
- :mod:`~smshooks.contract.send_http`: the session ``send`` gets and the failures every send shares;
- :mod:`~smshooks.contract.classification`: what the classify hook sees and answers.
"""
