"""DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile, applied in place.

Choices (PS3.15 Table E.1-1 options):

- **No retain options are used.** Dates and times are blanked (Retain Longitudinal Temporal
  Information is *not* kept; ``LongitudinalTemporalInformationModified`` = ``REMOVED``);
  patient sex is blanked and age, size and weight removed (Retain Patient Characteristics is not
  kept: the study's clinical data do not come from the DICOM); device serial number and station
  name are removed (no Retain Device Identity); all private elements are removed (no Retain Safe
  Private). Manufacturer and model are kept (not identifying; useful for calibration questions).
- ``PatientName`` and ``PatientID`` become the pseudonymous subject code.
- Every instance UID (study, series, SOP instance, frame of reference, referenced UIDs inside
  sequences, the file meta's Media Storage SOP Instance UID) is replaced by
  ``<uid_root><int>`` where the int is derived from ``uuid5(original)``: the same source file
  always maps to the same UIDs, so a repeated ingest is recognisable and references inside the
  file stay consistent. Well-known UIDs (SOP classes, transfer syntaxes, coding schemes: anything
  in pydicom's UID registry or named ``*ClassUID``) are kept.
- Free text (LT/ST/UT and descriptions/comments) is removed; person names are blanked; overlay
  and curve groups (60xx, 50xx) are removed, as they can carry burned-in style text.
- Sequences are walked recursively; functional groups survive, so calibration (Pixel Measures,
  Intravascular Longitudinal Distance, Frame Time) is untouched. Files with burned-in
  annotation are refused earlier by ``inspect`` (so Clean Pixel Data is not needed).
- ``PatientIdentityRemoved`` = ``YES``, ``DeidentificationMethod`` and
  ``DeidentificationMethodCodeSequence`` (DCM 113100) are set.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID_dictionary

# Annex E actions by keyword. X = remove, Z = make empty. (D/U are handled generically.)
REMOVE: frozenset[str] = frozenset(
    {
        "AcquisitionComments",
        "AcquisitionContextSequence",
        "AcquisitionDeviceProcessingDescription",
        "ActualHumanPerformersSequence",
        "AdditionalPatientHistory",
        "AdmissionID",
        "AdmittingDiagnosesCodeSequence",
        "AdmittingDiagnosesDescription",
        "Allergies",
        "Arbitrary",
        "AuthorObserverSequence",
        "BranchOfService",
        "CommentsOnThePerformedProcedureStep",
        "ConfidentialityConstraintOnPatientDataDescription",
        "ContentCreatorName",
        "ContributionDescription",
        "CountryOfResidence",
        "CurrentPatientLocation",
        "CustodialOrganizationSequence",
        "DataSetTrailingPadding",
        "DerivationDescription",
        "DeviceSerialNumber",
        "DeviceUID",
        "DigitalSignaturesSequence",
        "DischargeDiagnosisDescription",
        "EthnicGroup",
        "FrameComments",
        "GraphicAnnotationSequence",
        "HumanPerformerName",
        "HumanPerformerOrganization",
        "IconImageSequence",
        "IdentifyingComments",
        "ImageComments",
        "ImagePresentationComments",
        "ImagingServiceRequestComments",
        "InstitutionAddress",
        "InstitutionCodeSequence",
        "InstitutionName",
        "InstitutionalDepartmentName",
        "InstitutionalDepartmentTypeCodeSequence",
        "InsurancePlanIdentification",
        "IntendedRecipientsOfResultsIdentificationSequence",
        "InterpretationApproverSequence",
        "InterpretationAuthor",
        "InterpretationRecorder",
        "InterpretationTranscriber",
        "IssuerOfAdmissionID",
        "IssuerOfPatientID",
        "MedicalAlerts",
        "MedicalRecordLocator",
        "MilitaryRank",
        "ModifiedAttributesSequence",
        "ModifyingDeviceID",
        "NameOfPhysiciansReadingStudy",
        "NamesOfIntendedRecipientsOfResults",
        "Occupation",
        "OperatorIdentificationSequence",
        "OperatorsName",
        "OrderCallbackPhoneNumber",
        "OrderEnteredBy",
        "OrderEntererLocation",
        "OriginalAttributesSequence",
        "OtherPatientIDs",
        "OtherPatientIDsSequence",
        "OtherPatientNames",
        "PatientAddress",
        "PatientAge",
        "PatientBirthName",
        "PatientBirthTime",
        "PatientComments",
        "PatientInsurancePlanCodeSequence",
        "PatientMotherBirthName",
        "PatientPrimaryLanguageCodeSequence",
        "PatientReligiousPreference",
        "PatientSize",
        "PatientState",
        "PatientTelecomInformation",
        "PatientTelephoneNumbers",
        "PatientTransportArrangements",
        "PatientWeight",
        "PatientSexNeutered",
        "PerformedLocation",
        "PerformedProcedureStepDescription",
        "PerformedProcedureStepID",
        "PerformedStationAETitle",
        "PerformedStationName",
        "PerformingPhysicianIdentificationSequence",
        "PerformingPhysicianName",
        "PersonAddress",
        "PersonIdentificationCodeSequence",
        "PersonName",
        "PersonTelephoneNumbers",
        "PhysicianApprovingInterpretation",
        "PhysiciansOfRecord",
        "PhysiciansOfRecordIdentificationSequence",
        "PhysiciansReadingStudyIdentificationSequence",
        "PlateID",
        "PregnancyStatus",
        "ProtocolName",
        "ReasonForStudy",
        "ReasonForTheImagingServiceRequest",
        "ReasonForTheRequestedProcedure",
        "ReferencedPatientAliasSequence",
        "ReferencedPatientPhotoSequence",
        "ReferencedPatientSequence",
        "ReferringPhysicianAddress",
        "ReferringPhysicianIdentificationSequence",
        "ReferringPhysicianTelephoneNumbers",
        "RegionOfResidence",
        "RequestAttributesSequence",
        "RequestedContrastAgent",
        "RequestedProcedureComments",
        "RequestedProcedureDescription",
        "RequestedProcedureID",
        "RequestedProcedureLocation",
        "RequestingPhysician",
        "RequestingService",
        "ResponsibleOrganization",
        "ResponsiblePerson",
        "ResultsComments",
        "ResultsDistributionListSequence",
        "ResultsIDIssuer",
        "ScheduledHumanPerformersSequence",
        "ScheduledPatientInstitutionResidence",
        "ScheduledPerformingPhysicianIdentificationSequence",
        "ScheduledPerformingPhysicianName",
        "ScheduledProcedureStepDescription",
        "ScheduledProcedureStepID",
        "ScheduledProcedureStepLocation",
        "ScheduledStationAETitle",
        "ScheduledStationName",
        "ScheduledStudyLocation",
        "ScheduledStudyLocationAETitle",
        "SeriesDescription",
        "ServiceEpisodeDescription",
        "ServiceEpisodeID",
        "SmokingStatus",
        "SourceApplicationEntityTitle",
        "SpecialNeeds",
        "StationName",
        "StudyComments",
        "StudyDescription",
        "StudyIDIssuer",
        "TextComments",
        "TextString",
        "TopicAuthor",
        "TopicKeywords",
        "TopicSubject",
        "TopicTitle",
        "VerifyingObserverIdentificationCodeSequence",
        "VerifyingObserverName",
        "VerifyingObserverSequence",
        "VerifyingOrganization",
        "VisitComments",
    }
)
# Type 2 in the IODs we accept: keep the attribute, empty its value.
EMPTY: frozenset[str] = frozenset(
    {"AccessionNumber", "ReferringPhysicianName", "StudyID", "PatientBirthDate", "PatientSex"}
)
KEEP_UID_KEYWORDS: frozenset[str] = frozenset(
    {"TransferSyntaxUID", "CodingSchemeUID", "ContextUID", "ContextGroupExtensionCreatorUID"}
)
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT"})
DATE_TIME_VRS = frozenset({"DA", "DT", "TM"})

PROFILE_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")
METHOD = "PS3.15 E.1 Basic Profile, no retain options"


@dataclass
class Deidentified:
    """What de-identification replaced, for coordinator-only storage (SPEC §8).

    ``mapping``: original value → replacement (patient name and ID → subject code; each
    original UID → its new UID). ``originals``: keyword → original value for PatientName,
    PatientID, StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID, FrameOfReferenceUID.
    """

    mapping: dict[str, str]
    originals: dict[str, str] = field(default_factory=dict)
    removed_keywords: list[str] = field(default_factory=list)


def remap_uid(original: str, *, uid_root: str = "2.25.") -> str:
    """Deterministic replacement UID: ``uid_root`` + the uuid5(OID namespace, original) int,
    cut to DICOM's 64 characters."""
    number = uuid.uuid5(uuid.NAMESPACE_OID, original.strip()).int
    return (uid_root + str(number))[:64].rstrip(".")


class _Walker:
    def __init__(self, *, subject_code: str, uid_root: str) -> None:
        self.subject_code = subject_code
        self.uid_root = uid_root
        self.uid_map: dict[str, str] = {}
        self.removed: set[str] = set()

    def uid(self, original: str) -> str:
        if original not in self.uid_map:
            self.uid_map[original] = remap_uid(original, uid_root=self.uid_root)
        return self.uid_map[original]

    def dataset(self, ds: Dataset) -> None:
        for element in list(ds):
            self.element(ds, element)

    def element(self, ds: Dataset, element: DataElement) -> None:
        tag = element.tag
        keyword = element.keyword
        if tag.is_private or 0x5000 <= tag.group <= 0x50FF or 0x6000 <= tag.group <= 0x60FF:
            del ds[tag]
            self.removed.add(keyword or str(tag))
            return
        if keyword in ("PatientName", "PatientID"):
            element.value = self.subject_code
        elif keyword in REMOVE or element.VR in FREE_TEXT_VRS:
            del ds[tag]
            self.removed.add(keyword or str(tag))
        elif keyword in EMPTY or element.VR in DATE_TIME_VRS or element.VR == "PN":
            element.value = None
        elif element.VR == "UI":
            self.uid_element(keyword, element)
        elif element.VR == "SQ":
            for item in element.value or []:
                self.dataset(item)

    def uid_element(self, keyword: str, element: DataElement) -> None:
        if keyword in KEEP_UID_KEYWORDS or keyword.endswith("ClassUID"):
            return
        values = element.value if element.VM > 1 else [element.value]
        new = []
        for value in values:
            text = str(value or "").strip()
            new.append(text if not text or text in UID_dictionary else self.uid(text))
        element.value = new if element.VM > 1 else new[0]


def _code_item() -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = PROFILE_CODE
    return item


def deidentify(ds: Dataset, *, subject_code: str, uid_root: str = "2.25.") -> Deidentified:
    """Apply the Basic Profile to ``ds`` in place (see module doc); return what was replaced."""
    keywords = (
        "PatientName",
        "PatientID",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SOPInstanceUID",
        "FrameOfReferenceUID",
    )
    originals = {k: str(ds.get(k, "") or "") for k in keywords}
    walker = _Walker(subject_code=subject_code, uid_root=uid_root)
    walker.dataset(ds)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        if meta.get("MediaStorageSOPInstanceUID"):
            meta.MediaStorageSOPInstanceUID = walker.uid(str(meta.MediaStorageSOPInstanceUID))
        for keyword in (
            "SourceApplicationEntityTitle",
            "SendingApplicationEntityTitle",
            "ReceivingApplicationEntityTitle",
            "PrivateInformationCreatorUID",
            "PrivateInformation",
        ):
            if keyword in meta:
                delattr(meta, keyword)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    ds.DeidentificationMethodCodeSequence = Sequence([_code_item()])
    ds.LongitudinalTemporalInformationModified = "REMOVED"
    mapping: dict[str, str] = {}
    for keyword in ("PatientName", "PatientID"):
        if originals[keyword]:
            mapping[originals[keyword]] = subject_code
    mapping.update(walker.uid_map)
    return Deidentified(
        mapping=mapping,
        originals={k: v for k, v in originals.items() if v},
        removed_keywords=sorted(walker.removed),
    )
