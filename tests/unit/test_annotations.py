from pydantic import BaseModel

from rapport.annotations import Reached, reach


class Place(BaseModel):
    city: str | None = None
    labels: dict[str, str] = {}


class Person(BaseModel):
    name: str
    home: Place | None = None
    tags: list[str] = []


def test_a_path_goes_into_nested_models_to_the_field_it_names() -> None:
    assert reach(Person, ["home", "city"]) == Reached("city", str | None, ())
    assert reach(Person, ["home"]) == Reached("home", Place | None, ())


def test_what_is_left_below_a_field_without_a_model_is_given_back() -> None:
    assert reach(Person, ["home", "labels", "colour"]) == Reached("labels", dict[str, str], ("colour",))
    assert reach(Person, ["tags", "first"]) == Reached("tags", list[str], ("first",))


def test_a_name_that_is_not_a_field_says_which_are() -> None:
    assert reach(Person, ["home", "planet"]) == "planet is not a field of Place; they are: city, labels"
