"""Who may reach what: the one place that says it, for every adapter (the chat app, the console, the CLI).

A patient reaches only their own profile, readings and threads; a manager only the patients assigned to
them (`coach users assign`); an evaluator only the evaluation runs; an admin the accounts, the assignments
and the audit log, and no patient's data. An adapter asks before it reads, and a refusal says why without
saying whether the thing exists: a manager who is not assigned to a patient cannot tell an unknown patient
from another manager's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from coach.accounts import Account, AccountStore
from coach.audit import AuditLog

Resource = Literal["profile", "readings", "threads", "alerts", "evaluation_runs", "accounts", "assignments",
                   "audit"]
PATIENT_DATA: frozenset[str] = frozenset({"profile", "readings", "threads", "alerts"})
# What each role reaches besides patient data
ROLE_RESOURCES: dict[str, frozenset[str]] = {
    "patient": frozenset(),
    "manager": frozenset(),
    "evaluator": frozenset({"evaluation_runs"}),
    "admin": frozenset({"accounts", "assignments", "audit"}),
}


class AccessDenied(PermissionError):
    """The account may not reach this; the message names the account and the kind of thing, never the
    data. Adapters answer 404 for patient data (its existence is not told) and 403 for the rest."""

    def __init__(self, account: Account, resource: str, reason: str):
        self.account, self.resource, self.reason = account, resource, reason
        super().__init__(f"{account.username} ({account.role}) may not reach {resource}: {reason}")


class Decision(BaseModel):
    allowed: bool
    reason: str


class AccessPolicy:
    """Decides from the stored accounts and assignments, read fresh on every question (an assignment
    removed a moment ago is already in force). With an audit log, `require` records every refusal and
    every view of a patient's data by someone other than that patient."""

    def __init__(self, accounts: AccountStore, audit: AuditLog | None = None):
        self.accounts = accounts
        self.audit = audit

    def decide(self, account: Account, resource: Resource, profile_id: str | None = None) -> Decision:
        if account.disabled:
            return Decision(allowed=False, reason="the account is disabled")
        if resource in PATIENT_DATA:
            if profile_id is None:
                return Decision(allowed=False, reason="no patient was named")
            if account.role == "patient":
                own = account.profile_id == profile_id
                return Decision(allowed=own, reason="their own" if own else "another patient's")
            if account.role == "manager":
                assigned = profile_id in self.accounts.profiles_of(account.username)
                return Decision(allowed=assigned, reason="an assigned patient's" if assigned
                                else "not a patient assigned to them")
            return Decision(allowed=False, reason=f"a {account.role} reaches no patient's data")
        allowed = resource in ROLE_RESOURCES.get(account.role, frozenset())
        return Decision(allowed=allowed, reason=f"{'part' if allowed else 'not part'} of a {account.role}'s work")

    def require(self, account: Account, resource: Resource, profile_id: str | None = None,
                action: str = "view") -> None:
        decision = self.decide(account, resource, profile_id)
        own = account.role == "patient" and account.profile_id == profile_id
        if self.audit is not None and (not decision.allowed or not own):  # a patient's own view is not audited
            self.audit.record(account.username, account.role, resource, action,
                              "allowed" if decision.allowed else "denied", patient=profile_id,
                              detail=decision.reason)
        if not decision.allowed:
            raise AccessDenied(account, resource, decision.reason)

    def reaches_for_safety(self, account: Account, profile_id: str) -> Decision:
        """An emergency or safety-check alert: its patient's assigned managers reach it, and so does a manager
        on call when no manager follows the patient (those always reach a person). Nothing else of that
        patient."""
        decision = self.decide(account, "alerts", profile_id)
        if decision.allowed or account.role != "manager" or account.disabled:
            return decision
        if self.accounts.is_on_call(account.username) and profile_id not in self.accounts.followed_profiles():
            return Decision(allowed=True, reason="on call: an emergency or safety check of a patient no manager "
                                                 "follows")
        return decision

    def require_each(self, account: Account, resource: Resource, profile_ids: list[str],
                     action: str = "view") -> None:
        """`require` for several patients at once, audited in one write; raises for the first refused."""
        from coach.audit import AuditEntry, _utcnow
        decisions = [(pid, self.decide(account, resource, pid)) for pid in profile_ids]
        if self.audit is not None:
            now = _utcnow()
            self.audit.record_many([AuditEntry(
                at=now, actor=account.username, role=account.role, patient=pid, resource=resource, action=action,
                outcome="allowed" if d.allowed else "denied", detail=d.reason) for pid, d in decisions
                if not d.allowed or not (account.role == "patient" and account.profile_id == pid)])
        for pid, d in decisions:
            if not d.allowed:
                raise AccessDenied(account, resource, d.reason)

    def patients_visible_to(self, account: Account) -> list[str]:
        """The profile ids whose data the account reaches: its own for a patient, the assigned ones for a
        manager, none for the others."""
        if account.disabled:
            return []
        if account.role == "patient":
            return [account.profile_id] if account.profile_id else []
        if account.role == "manager":
            return sorted(self.accounts.profiles_of(account.username))
        return []
