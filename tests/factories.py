"""factory_boy factories with SPEC defaults (direct rows for tests; services for behaviour)."""

from __future__ import annotations

import os
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from adjudication import storage
from adjudication.domain.settings import StudySettings
from adjudication.models import Membership, Pullback, Read, Study, Subject

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    name = factory.Sequence(lambda n: f"Study {n}")
    code = factory.Sequence(lambda n: f"study-{n}")
    settings = factory.LazyFunction(lambda: StudySettings().to_dict())


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    study = factory.SubFactory(StudyFactory)
    user = factory.SubFactory(UserFactory)
    role = "analyst"


def study_with_coordinator(**study: Any) -> tuple[Study, Any]:
    """A study (``StudyFactory(**study)``) and its coordinator, the user ``coord``."""
    made = StudyFactory(**study)
    coordinator = UserFactory(username="coord")
    MembershipFactory(study=made, user=coordinator, role="coordinator")
    return made, coordinator


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"S-{n:04d}")


class PullbackFactory(factory.django.DjangoModelFactory):
    """A ready pullback with calibration (no files: for tests that never fetch frames)."""

    class Meta:
        model = Pullback

    study = factory.SubFactory(StudyFactory)
    subject = factory.SubFactory(SubjectFactory, study=factory.SelfAttribute("..study"))
    timepoint = "post"
    lesion = "LAD"
    status = "ready"
    n_frames = 300
    rows = 512
    columns = 512
    pixel_spacing_row_mm = 0.01
    pixel_spacing_col_mm = 0.01
    frame_spacing_mm = 0.2
    calibration_source = "pixel_measures_shared; longitudinal_distance"
    frame_content_type = "image/jpeg"


def write_frames(storage_key: str, images: list[bytes]) -> None:
    """Store ``images`` as a pullback's frames the way ingest lays them out (``frames.bin``
    indexed by ``frames.idx``), for tests that fetch frames without ingesting a DICOM."""
    folder = os.path.join(settings.MEDIA_ROOT, "pullbacks", storage_key)
    os.makedirs(folder, exist_ok=True)
    entries, offset = [], 0
    for image in images:
        entries.append((offset, len(image)))
        offset += len(image)
    with open(os.path.join(folder, storage.FRAMES_BIN_NAME), "wb") as fh:
        fh.write(b"".join(images))
    with open(os.path.join(folder, storage.INDEX_NAME), "wb") as fh:
        fh.write(storage.frame_index_bytes(entries, in_source=False))
    storage.forget_frame_index(storage_key)


class ReadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Read

    pullback = factory.SubFactory(PullbackFactory)
    reader = factory.SubFactory(UserFactory)
    slot = 1
    annotations = factory.LazyFunction(lambda: {"frames": {}})
