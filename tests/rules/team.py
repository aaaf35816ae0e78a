"""The people, places and secrets the rules tests share."""

from __future__ import annotations

from bot.rules.model import Person, Place
from tests.conftest import OWNER_ID

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
THIRD_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
OWNER = Person(OWNER_ID, "Olga", username="olga", language_code="en")
ADMIN = Person(200, "Adam", username="adam")
MEMBER = Person(300, "Mia", username="mia", language_code="zh-hans")
STRANGER = Person(400, "Sam")
PRIVATE = Place(300, private=True)
GROUP = Place(-500, private=False, title="Team")
