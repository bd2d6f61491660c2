"""Staff roles. Code names in English, labels in Chinese."""
from enum import StrEnum


class Role(StrEnum):
    STEWARD = "steward"
    FRONT_DESK = "front_desk"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    TECHNICIAN = "technician"
    GUARD = "guard"
    FINANCE = "finance"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.STEWARD: "客服管家",
    Role.FRONT_DESK: "前台",
    Role.SUPERVISOR: "主管",
    Role.MANAGER: "经理",
    Role.TECHNICIAN: "工程/保洁",
    Role.GUARD: "秩序/门岗",
    Role.FINANCE: "财务",
    Role.ADMIN: "系统管理员",
}

ALL_ROLES = frozenset(Role)

# Who may look up units and their occupants (technicians get locations through their
# work orders, not the owner registry: rule [T9]).
REGISTRY_READERS = frozenset(
    {Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER, Role.GUARD, Role.FINANCE, Role.ADMIN}
)

# Whose work needs a full phone or ID number, and who is limited to their buildings: core.scope.

# Who may switch in on a shared kiosk with a PIN, and who may register a PC as a kiosk.
KIOSK_ROLES = frozenset({Role.FRONT_DESK, Role.SUPERVISOR})
KIOSK_ADMINS = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})

# Who manages staff accounts and departments (a manager may not make or change admin accounts).
USER_ADMINS = frozenset({Role.MANAGER, Role.ADMIN})
