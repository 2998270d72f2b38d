from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class Actor:
    """Who did something: a user, or a named machine (an API key, a gateway, the system)."""

    user: AbstractBaseUser | None = None
    label: str = ""

    @classmethod
    def of(cls, user) -> "Actor":
        if user is None or not user.is_authenticated:
            return cls(label="Anonymous")
        return cls(user=user)

    @classmethod
    def system(cls, label: str = "System") -> "Actor":
        return cls(label=label)

    @property
    def user_id(self):
        return self.user.pk if self.user is not None else None

    def event_fields(self) -> dict:
        return {"actor": self.user, "actor_label": "" if self.user else self.label}
