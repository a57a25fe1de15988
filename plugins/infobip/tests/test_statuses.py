"""The status table as data: consistent with Infobip's groups, ids and intermediate statuses."""

from __future__ import annotations

from smshooks.events import Status
from smshooks_infobip import InfobipVendor
from smshooks_infobip.statuses import FINAL_STATUSES, GROUPS, STATUS_MAP, STATUSES, resolve_status

FAILED = {Status.BOUNCE, Status.ERROR}


def test_every_name_belongs_to_a_known_group() -> None:
    assert {info.group for info in STATUSES.values()} <= set(GROUPS)


def test_group_ids_are_infobips() -> None:
    assert {name: group.id for name, group in GROUPS.items()} == {
        "ACCEPTED": 0,
        "PENDING": 1,
        "UNDELIVERABLE": 2,
        "DELIVERED": 3,
        "EXPIRED": 4,
        "REJECTED": 5,
    }


def test_status_ids_are_unique() -> None:
    ids = [info.id for info in STATUSES.values()]
    assert len(ids) == len(set(ids))


def test_a_name_maps_like_its_group_except_the_documented_exceptions() -> None:
    differing = {name for name, info in STATUSES.items() if info.status != GROUPS[info.group].status}
    # DELIVERED_TO_OPERATOR: the handset is not reached yet. EXPIRED_DLR_UNKNOWN: no outcome known.
    assert differing == {"DELIVERED_TO_OPERATOR", "EXPIRED_DLR_UNKNOWN"}


def test_only_pending_and_delivered_to_operator_are_intermediate() -> None:
    intermediate = set(STATUSES) - FINAL_STATUSES
    assert intermediate == {"PENDING_WAITING_DELIVERY", "PENDING_ENROUTE", "PENDING_ACCEPTED", "DELIVERED_TO_OPERATOR"}


def test_failures_and_only_failures_have_a_category() -> None:
    for name, info in STATUSES.items():
        assert (info.category is not None) == (info.status in FAILED), name
        if info.category:
            assert info.category.isidentifier() and info.category == info.category.lower(), name


def test_vendor_exposes_the_table() -> None:
    vendor = InfobipVendor()
    assert dict(vendor.status_map) == dict(STATUS_MAP) == {name: info.status for name, info in STATUSES.items()}
    assert vendor.final_statuses == FINAL_STATUSES


def test_name_wins_over_group_and_group_is_the_fallback() -> None:
    assert resolve_status("DELIVERED_TO_OPERATOR", "DELIVERED").status is Status.SENT
    assert resolve_status("DELIVERED_TO_SOMEWHERE_NEW", "DELIVERED").status is Status.DELIVERED
    assert resolve_status("DELIVERED_TO_SOMEWHERE_NEW", "DELIVERED").final is True
    unknown = resolve_status("NEW", "NEW_GROUP")
    assert (unknown.status, unknown.final, unknown.category) == (Status.UNKNOWN, False, None)
    assert resolve_status(None, None).status is Status.UNKNOWN
