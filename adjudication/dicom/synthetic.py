"""Synthetic IVOCT pullbacks with known ground truth, for tests, benchmarks and the demo.

The phantom is drawn the way an IVOCT system draws a frame: every A-line starts at the catheter
(the image centre) and runs outwards, so all geometry is described in polar coordinates around
the catheter and rendered onto the Cartesian image in one vectorised pass per frame:

- a dark, blood-free lumen whose radius varies smoothly along the pullback (a few low harmonics
  make it ellipse-ish and eccentric), with a stenosis near the middle of the pullback;
- a bright wall whose signal decays exponentially with depth (plus a thin signal-poor media band)
  and carries multiplicative speckle;
- the catheter sheath as a bright ring at the centre and the guidewire as a bright spot on the
  lumen border casting a dark sector behind it;
- stent struts (bright blooming spots with dark shadows behind them) on a range of frames,
  a few of them malapposed (lifted into the lumen) near the proximal stent edge;
- calcium as a signal-poor, sharply delineated region (bright rims) with a given arc and
  thickness, starting just behind the lumen border;
- with ``artefacts=True`` (for the automatic pre-annotation's known-answer tests) also what
  real pullbacks have and border detectors trip on: blood residue (bright speckled swirls in the
  lumen) on some frames, side-branch ostia (the wall recessed over a sector; the ground-truth
  lumen bridges the ostium smoothly, as core labs draw it) and, near the proximal end, the
  catheter against the wall (a very eccentric lumen). Artefacts use their own random
  stream, so ``artefacts=False`` renders exactly what it always did.

The ground truth returned by :func:`make_synthetic_pullback` is a SPEC §4 annotation document
plus the expected per-frame values, in SPEC §3 geometry: ``x`` = column, ``y`` = row, pixel
centres at integer coordinates, angles clockwise on screen from 3 o'clock. Calcium arcs carry an
explicit ``center`` (the catheter, from which the arc was drawn), so the expected arc is exact.

The writers of *broken* files for refusal tests live under ``tests/broken_files.py``.
"""

from __future__ import annotations

import io
import math
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    JPEG2000,
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
    generate_uid,
)

ENCODINGS: dict[str, UID] = {
    "explicit_little": ExplicitVRLittleEndian,
    "implicit_little": ImplicitVRLittleEndian,
    "jpeg_baseline": JPEGBaseline8Bit,
    "rle": RLELossless,
    "jpeg2000": JPEG2000,
    "jpeg2000_lossless": JPEG2000Lossless,
    "jpegls": JPEGLSLossless,
    "jpegls_near": JPEGLSNearLossless,
}
LOSSY_ENCODINGS = frozenset({"jpeg_baseline", "jpeg2000", "jpegls_near"})

SOP_CLASSES: dict[str, str] = {
    "ivoct_presentation": "1.2.840.10008.5.1.4.1.1.14.1",
    "ivoct_processing": "1.2.840.10008.5.1.4.1.1.14.2",
    "sc_byte": "1.2.840.10008.5.1.4.1.1.7.2",
    "sc_word": "1.2.840.10008.5.1.4.1.1.7.3",
    "sc_color": "1.2.840.10008.5.1.4.1.1.7.4",
    "us_multiframe": "1.2.840.10008.5.1.4.1.1.3.1",
    # Not accepted by ingest; here so refusal tests can write one.
    "ct": "1.2.840.10008.5.1.4.1.1.2",
}
MODALITIES = {
    "ivoct_presentation": "IVOCT",
    "ivoct_processing": "IVOCT",
    "sc_byte": "OT",
    "sc_word": "OT",
    "sc_color": "OT",
    "us_multiframe": "US",
    "ct": "CT",
}
SPACING_LOCATIONS = (
    "shared_functional_group",
    "per_frame_functional_group",
    "pixel_spacing",
    "none",
)
PHOTOMETRICS = ("MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422")

# The PHI the generator writes; tests assert none of it survives de-identification.
PHI_DEFAULTS: dict[str, str] = {
    "PatientBirthDate": "19471123",
    "PatientSex": "F",
    "PatientAge": "077Y",
    "OtherPatientIDs": "MRN-OTHER-7781",
    "InstitutionName": "Saint Synthetic Heart Hospital",
    "InstitutionAddress": "12 Fictional Lane, Nowhere",
    "InstitutionalDepartmentName": "Cath Lab Department Nine",
    "ReferringPhysicianName": "REFERRER^ROBERTA",
    "PerformingPhysicianName": "OPERATOR^OTTO",
    "OperatorsName": "TECH^TAMARA",
    "AccessionNumber": "ACC-55501",
    "StationName": "CATHLAB-SEVEN",
    "DeviceSerialNumber": "SN-OCT-424242",
    "StudyID": "STUDYID-8812",
    "StudyDescription": "PCI of the LAD for Jane",
    "SeriesDescription": "OCT run before stent 3.0x28",
    "ImageComments": "patient moved during run",
    "PrivateText": "VENDOR-PRIVATE-PHI-0007",
    "RequestedProcedureID": "REQPROC-31337",
    "StudyDate": "20190312",
    "StudyTime": "101112",
}

PULLBACK_SPEED_MM_S = 20.0  # used to write a Frame Time consistent with frame_spacing_mm


class EncoderUnavailable(RuntimeError):
    """The encoder needed for a requested ``encoding`` is not installed here."""


# --------------------------------------------------------------------------------------------
# Phantom geometry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Strut:
    angle_rad: float
    radius_px: float
    malapposed: bool


@dataclass(frozen=True)
class _Calcium:
    start_rad: float  # clockwise start angle (from 3 o'clock, y down)
    arc_rad: float
    depth_mm: float  # from the lumen border to the calcium's luminal edge
    thickness_mm: float  # maximum thickness, reached at the middle of the arc


@dataclass(frozen=True)
class _FrameGeometry:
    radius_px: float  # mean lumen radius
    coeffs: tuple[float, ...]  # (a1, b1, a2, b2, a3, b3): r(θ) = R·(1 + Σ a_k cos kθ + b_k sin kθ)
    guidewire_rad: float
    struts: tuple[_Strut, ...]
    calcium: _Calcium | None
    # artefacts (only with artefacts=True): blood blobs (angle_rad, radius_fraction, sigma_mm,
    # peak) and a side-branch ostium (centre_rad, half_width_rad)
    blood: tuple[tuple[float, float, float, float], ...] = ()
    side_branch: tuple[float, float] | None = None

    def lumen_radius_px(self, theta: np.ndarray | float) -> Any:
        """Lumen radius in px at angle(s) ``theta`` (radians), measured from the catheter."""
        r: Any = 1.0
        for k in range(3):
            r = r + self.coeffs[2 * k] * np.cos((k + 1) * theta)
            r = r + self.coeffs[2 * k + 1] * np.sin((k + 1) * theta)
        return self.radius_px * r


class _Phantom:
    """Per-pullback layout (which frames have a stent, calcium, malapposition) and rendering."""

    N_ANGLE_BINS = 4096

    def __init__(
        self,
        *,
        n_frames: int,
        rows: int,
        columns: int,
        pixel_spacing_mm: float,
        seed: int,
        artefacts: bool = False,
    ) -> None:
        self.artefacts = artefacts
        self.n_frames = n_frames
        self.rows = rows
        self.columns = columns
        self.ps = pixel_spacing_mm
        self.rng = np.random.default_rng(seed)
        self.cx = (columns - 1) / 2.0
        self.cy = (rows - 1) / 2.0
        half_mm = min(rows, columns) / 2.0 * pixel_spacing_mm
        self.half_mm = half_mm
        self.ref_radius_mm = min(1.6, 0.40 * half_mm)
        self.catheter_radius_mm = min(0.45, 0.25 * self.ref_radius_mm)
        last = max(n_frames - 1, 1)
        self.stent = (round(0.30 * last), round(0.70 * last))
        self.calcium_segments: list[tuple[int, int]] = [(round(0.42 * last), round(0.62 * last))]
        if n_frames >= 20:
            self.calcium_segments.append((round(0.10 * last), round(0.16 * last)))
        stent_len = self.stent[1] - self.stent[0]
        self.malapposed_frames = (self.stent[1] - max(1, round(0.2 * stent_len)), self.stent[1])
        self.phases = self.rng.uniform(0, 2 * math.pi, size=12)
        self.calcium_start = float(self.rng.uniform(0, 2 * math.pi))
        self.calcium_arc_max_deg = float(self.rng.uniform(200, 250))
        art = np.random.default_rng([seed, 7771])
        self.art_phases = art.uniform(0, 2 * math.pi, size=4)
        # side branches: (first frame, last frame) of each ostium
        self.side_branches = [(round(0.18 * last), round(0.24 * last))]
        if n_frames >= 20:
            self.side_branches.append((round(0.80 * last), round(0.84 * last)))
        self._grids()

    def _grids(self) -> None:
        yy, xx = np.mgrid[0 : self.rows, 0 : self.columns].astype(np.float32)
        dx = xx - np.float32(self.cx)
        dy = yy - np.float32(self.cy)
        self.rho = np.hypot(dx, dy).astype(np.float32)
        theta = np.mod(np.arctan2(dy, dx), np.float32(2 * math.pi)).astype(np.float32)
        self.theta = theta
        self.theta_bin = np.minimum(
            (theta * (self.N_ANGLE_BINS / (2 * math.pi))).astype(np.int32), self.N_ANGLE_BINS - 1
        )
        self.harmonics = [
            (np.cos((k + 1) * theta).astype(np.float32), np.sin((k + 1) * theta).astype(np.float32))
            for k in range(3)
        ]
        # Speckle: a few fields reused with random shifts (generating one per frame is the slow
        # part of the phantom; a shifted field looks just as random to a reader).
        self.speckle = [
            self.rng.gamma(4.0, 0.25, size=(self.rows, self.columns)).astype(np.float32)
            for _ in range(4)
        ]

    # -- layout ---------------------------------------------------------------------------

    def geometry(self, f: int) -> _FrameGeometry:
        """The phantom's geometry on frame ``f`` (0 = distal)."""
        t = f / max(self.n_frames - 1, 1)
        p = self.phases
        radius_px = self.geometry_radius_px(t)
        coeffs: tuple[float, ...] = (
            0.07 * math.sin(2 * math.pi * 0.8 * t + p[1]),
            0.07 * math.cos(2 * math.pi * 0.6 * t + p[2]),
            0.09 + 0.04 * math.sin(2 * math.pi * 1.1 * t + p[3]),
            0.05 * math.sin(2 * math.pi * 0.9 * t + p[4]),
            0.025 * math.sin(2 * math.pi * 1.3 * t + p[5]),
            0.02 * math.cos(2 * math.pi * 0.7 * t + p[6]),
        )
        guidewire = float(np.mod(p[7] + 0.6 * math.sin(2 * math.pi * 0.5 * t), 2 * math.pi))
        if self.artefacts:
            coeffs = self._eccentric(f, coeffs)
        geom = _FrameGeometry(radius_px, coeffs, guidewire, (), None)
        blood: tuple[tuple[float, float, float, float], ...] = ()
        side_branch = None
        if self.artefacts:
            blood = self._blood(f)
            side_branch = self._side_branch(f, guidewire)
        return _FrameGeometry(
            radius_px,
            coeffs,
            guidewire,
            self._struts(f, geom),
            self._calcium(f, geom),
            blood,
            side_branch,
        )

    def geometry_radius_px(self, t: float) -> float:
        """Mean lumen radius at pullback position ``t`` (0 distal … 1 proximal)."""
        stenosis = 1.0 - 0.42 * math.exp(-(((t - 0.5) / 0.11) ** 2))
        taper = 0.92 + 0.16 * t
        wobble = 1.0 + 0.04 * math.sin(2 * math.pi * 1.7 * t + self.phases[0])
        return self.ref_radius_mm * stenosis * taper * wobble / self.ps

    def _eccentric(self, f: int, coeffs: tuple[float, ...]) -> tuple[float, ...]:
        """Near the proximal end the catheter drifts against the wall: a strong first harmonic
        brings the border to the sheath on one side (the lumen seen very off-centre)."""
        last = max(self.n_frames - 1, 1)
        start, end = round(0.88 * last), round(0.94 * last)
        if not start <= f <= end:
            return coeffs
        s = (f - start) / max(end - start, 1)
        phase = self.art_phases[3]
        theta = np.linspace(0, 2 * math.pi, 360, endpoint=False)
        t = f / last
        radius_px = self.geometry_radius_px(t)
        # the closest the wall may come: just outside the sheath (it touches it at the peak)
        floor_px = (self.catheter_radius_mm + 0.02) / self.ps
        a1 = 0.5
        target = 0.5 + 0.3 * math.sin(math.pi * s)
        while a1 + 0.01 <= target:
            trial = (
                (a1 + 0.01) * math.cos(phase),
                (a1 + 0.01) * math.sin(phase),
                *coeffs[2:],
            )
            r = _FrameGeometry(radius_px, trial, 0.0, (), None).lumen_radius_px(theta)
            if float(np.min(r)) < floor_px:
                break
            a1 += 0.01
        return (a1 * math.cos(phase), a1 * math.sin(phase), *coeffs[2:])

    def _blood(self, f: int) -> tuple[tuple[float, float, float, float], ...]:
        """Blood residue on about a third of the frames: a few speckled swirls in the lumen."""
        frame_rng = np.random.default_rng([int(self.art_phases[0] * 1e6), f])
        if frame_rng.uniform() > 0.35:
            return ()
        n = int(frame_rng.integers(2, 7))
        return tuple(
            (
                float(frame_rng.uniform(0, 2 * math.pi)),
                float(frame_rng.uniform(0.45, 0.8)),  # fraction of the border radius
                float(frame_rng.uniform(0.04, 0.1)),  # sigma, mm
                float(frame_rng.uniform(0.2, 0.45)),  # peak intensity
            )
            for _ in range(n)
        )

    def _side_branch(self, f: int, guidewire_rad: float) -> tuple[float, float] | None:
        for index, (start, end) in enumerate(self.side_branches):
            if start <= f <= end:
                s = (f - start) / max(end - start, 1)
                half = math.radians(12 + 18 * math.sin(math.pi * s))
                centre = guidewire_rad + math.pi + self.art_phases[1 + index]
                return float(np.mod(centre, 2 * math.pi)), half
        return None

    def _struts(self, f: int, geom: _FrameGeometry) -> tuple[_Strut, ...]:
        if not self.stent[0] <= f <= self.stent[1]:
            return ()
        frame_rng = np.random.default_rng([int(self.phases[8] * 1e6), f])
        circumference_mm = 2 * math.pi * geom.radius_px * self.ps
        n = int(np.clip(round(circumference_mm / 0.9), 6, 14))
        offset = frame_rng.uniform(0, 2 * math.pi)
        malapposed_here = self.malapposed_frames[0] <= f <= self.malapposed_frames[1]
        lifted = (
            set(frame_rng.choice(n, size=2, replace=False).tolist()) if malapposed_here else set()
        )
        catheter_px = self.catheter_radius_mm / self.ps
        struts = []
        for i in range(n):
            angle = float(
                np.mod(offset + 2 * math.pi * i / n + frame_rng.normal(0, 0.05), 2 * math.pi)
            )
            gap = abs((angle - geom.guidewire_rad + math.pi) % (2 * math.pi) - math.pi)
            if gap < math.radians(14):
                continue  # a strut under the guidewire would be hidden by its shadow
            border = float(geom.lumen_radius_px(angle))
            if i in lifted:
                lift_mm = float(frame_rng.uniform(0.22, 0.45))
                lift_px = min(lift_mm / self.ps, 0.5 * (border - catheter_px))
                struts.append(_Strut(angle, border - lift_px, True))
            else:
                struts.append(_Strut(angle, border - 0.02 / self.ps, False))
        return tuple(struts)

    def _calcium(self, f: int, geom: _FrameGeometry) -> _Calcium | None:
        for index, (start, end) in enumerate(self.calcium_segments):
            if start <= f <= end:
                s = (f - start) / max(end - start, 1)
                bump = math.sin(math.pi * s)
                if index == 0:
                    arc_deg = self.calcium_arc_max_deg * (0.55 + 0.45 * bump)
                    thickness = 0.95 * (0.6 + 0.4 * bump)
                    start_rad = self.calcium_start + 0.3 * s
                else:
                    arc_deg = 70.0 + 20.0 * bump
                    thickness = 0.3 + 0.1 * bump
                    start_rad = self.calcium_start + math.pi
                depth = 0.08
                # Keep the whole calcium inside the field of view.
                outer_px = float(np.max(geom.lumen_radius_px(np.linspace(0, 2 * math.pi, 90))))
                room_mm = 0.92 * self.half_mm - outer_px * self.ps - depth
                thickness = max(0.1, min(thickness, room_mm))
                return _Calcium(
                    float(np.mod(start_rad, 2 * math.pi)), math.radians(arc_deg), depth, thickness
                )
        return None

    # -- rendering ------------------------------------------------------------------------

    def render(self, f: int, geom: _FrameGeometry) -> np.ndarray:
        """The frame as float32 intensities in [0, 1], shape (rows, columns)."""
        ps = np.float32(self.ps)
        r = np.full_like(self.rho, 1.0)
        for k, (c, s) in enumerate(self.harmonics):
            r += np.float32(geom.coeffs[2 * k]) * c + np.float32(geom.coeffs[2 * k + 1]) * s
        r *= np.float32(geom.radius_px)
        depth_px = self.rho - r
        if geom.side_branch is not None:
            depth_px = depth_px - self._ostium_recess_px(geom.side_branch)[self.theta_bin]
        depth_mm = depth_px * ps
        if geom.calcium is not None:
            depth_mm, calcium_value = self._calcium_layer(geom.calcium, depth_mm)
        wall = np.exp(-np.maximum(depth_mm, 0) / np.float32(0.55))
        wall *= 1 - np.float32(0.45) * np.exp(-(((depth_mm - 0.33) / np.float32(0.06)) ** 2))
        edge = 0.5 * (1 + np.tanh(depth_px / np.float32(0.8)))
        image = np.float32(0.03) + edge * np.float32(0.92) * wall
        if geom.calcium is not None:
            image = np.where(np.isnan(calcium_value), image, calcium_value)
        image *= self._shadow_gain(geom)[self.theta_bin]
        shift = self.rng.integers(0, 64, size=2)
        speckle = self.speckle[f % len(self.speckle)]
        image *= np.roll(speckle, (int(shift[0]), int(shift[1])), axis=(0, 1))
        for angle, fraction, sigma_mm, peak in geom.blood:
            radius = float(geom.lumen_radius_px(angle)) * fraction
            self._spot(image, angle, radius, sigma_mm / self.ps, peak, speckled=True)
        self._draw_catheter(image)
        for strut in geom.struts:
            self._spot(image, strut.angle_rad, strut.radius_px, 0.035 / self.ps, 0.97)
        gw_radius = float(geom.lumen_radius_px(geom.guidewire_rad)) - 0.12 / self.ps
        self._spot(image, geom.guidewire_rad, gw_radius, 0.06 / self.ps, 0.9)
        return np.asarray(np.clip(image, 0, 1, out=image))

    def _calcium_layer(self, calc: _Calcium, depth_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calcium replaces the wall between its inner and outer edge; tissue behind it shows
        less attenuation (calcium is signal-poor but does not shadow, unlike lipid)."""
        delta = np.mod(self.theta - np.float32(calc.start_rad), np.float32(2 * math.pi))
        in_arc = delta <= np.float32(calc.arc_rad)
        u = np.where(in_arc, delta / np.float32(calc.arc_rad) * 2 - 1, 1.0)
        thickness = np.float32(calc.thickness_mm) * np.sqrt(np.clip(1 - u**8, 0, 1))
        inner = np.float32(calc.depth_mm)
        outer = inner + thickness
        inside = in_arc & (depth_mm >= inner) & (depth_mm <= outer)
        rim_mm = np.float32(1.3 * self.ps)
        rim = (
            in_arc
            & (thickness > rim_mm)
            & ((np.abs(depth_mm - inner) < rim_mm) | (np.abs(depth_mm - outer) < rim_mm))
        )
        value = np.full(depth_mm.shape, np.nan, dtype=np.float32)
        value[inside] = 0.13
        value[rim] = 0.75
        behind = in_arc & (depth_mm > outer)
        depth_eff = np.where(behind, depth_mm - 0.8 * thickness, depth_mm)
        return depth_eff.astype(np.float32), value

    def _shadow_gain(self, geom: _FrameGeometry) -> np.ndarray:
        """Per-angle-bin multiplier: dark sectors behind the guidewire and each strut."""
        gain = np.ones(self.N_ANGLE_BINS, dtype=np.float32)
        bins = np.arange(self.N_ANGLE_BINS) * (2 * math.pi / self.N_ANGLE_BINS)
        objects = [(geom.guidewire_rad, 0.20 / self.ps, 0.08)]
        objects += [(s.angle_rad, 0.07 / self.ps, 0.12) for s in geom.struts]
        for angle, width_px, floor in objects:
            radius = max(float(geom.lumen_radius_px(angle)), 1.0)
            half = math.atan2(width_px / 2, radius)
            diff = np.abs((bins - angle + math.pi) % (2 * math.pi) - math.pi)
            gain = np.minimum(gain, np.where(diff <= half, floor, 1.0).astype(np.float32))
        return gain

    def _ostium_recess_px(self, side_branch: tuple[float, float]) -> np.ndarray:
        """Per-angle-bin recess of the wall (px) at a side-branch ostium: steep flanks (a few
        degrees), about 1.2 mm deep across the ostium."""
        centre, half = side_branch
        bins = np.arange(self.N_ANGLE_BINS) * (2 * math.pi / self.N_ANGLE_BINS)
        diff = np.abs((bins - centre + math.pi) % (2 * math.pi) - math.pi)
        flank = math.radians(4)
        ramp = np.clip((half - diff) / flank, 0, 1)
        return np.asarray((ramp * (1.2 / self.ps)).astype(np.float32))

    def _draw_catheter(self, image: np.ndarray) -> None:
        r_px = self.catheter_radius_mm / self.ps
        inside = self.rho < r_px
        image[inside] = 0.02
        ring = np.abs(self.rho - r_px) < max(1.0, 0.02 / self.ps)
        image[ring] = 0.85
        lens = self.rho < max(1.5, 0.08 / self.ps)
        image[lens] = 0.6

    def _spot(
        self,
        image: np.ndarray,
        angle: float,
        radius: float,
        sigma: float,
        peak: float,
        *,
        speckled: bool = False,
    ) -> None:
        """A bright Gaussian spot (strut blooming, guidewire, blood swirl) drawn in a local box."""
        x0 = self.cx + radius * math.cos(angle)
        y0 = self.cy + radius * math.sin(angle)
        sigma = max(sigma, 1.0)
        half = int(math.ceil(3.5 * sigma))
        r0, r1 = max(int(y0) - half, 0), min(int(y0) + half + 2, self.rows)
        c0, c1 = max(int(x0) - half, 0), min(int(x0) + half + 2, self.columns)
        if r0 >= r1 or c0 >= c1:
            return
        yy, xx = np.mgrid[r0:r1, c0:c1]
        blob = peak * np.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * sigma**2))
        if speckled:
            blob = blob * self.speckle[1][r0:r1, c0:c1]
        np.maximum(image[r0:r1, c0:c1], blob.astype(np.float32), out=image[r0:r1, c0:c1])

    # -- ground truth ---------------------------------------------------------------------

    def point(self, angle: float, radius_px: float) -> list[float]:
        return [
            round(self.cx + radius_px * math.cos(angle), 3),
            round(self.cy + radius_px * math.sin(angle), 3),
        ]

    def frame_truth(self, geom: _FrameGeometry) -> dict[str, Any]:
        """SPEC §4 frame entry plus the expected per-frame values."""
        angles = np.arange(64) * (2 * math.pi / 64)
        lumen = [self.point(float(a), float(geom.lumen_radius_px(a))) for a in angles]
        area_mm2 = _polygon_area_px(lumen) * self.ps * self.ps
        entry: dict[str, Any] = {"lumen": lumen, "lumen_area_mm2": round(area_mm2, 6)}
        if self.artefacts:
            entry["blood_residue"] = bool(geom.blood)
            entry["side_branch"] = geom.side_branch is not None
            entry["eccentric"] = math.hypot(geom.coeffs[0], geom.coeffs[1]) >= 0.5
            entry["guidewire_deg"] = round(math.degrees(geom.guidewire_rad), 3)
        if geom.struts:
            entry.update(self._strut_truth(geom, lumen))
        entry["calcium_arc_deg"] = None
        entry["calcium_thickness_mm"] = None
        if geom.calcium is not None:
            entry.update(self._calcium_truth(geom))
        return entry

    def _strut_truth(self, geom: _FrameGeometry, lumen: list[list[float]]) -> dict[str, Any]:
        struts = [self.point(s.angle_rad, s.radius_px) for s in geom.struts]
        ordered = sorted(struts, key=lambda p: math.atan2(p[1] - self.cy, p[0] - self.cx))
        centroid = _polygon_centroid(lumen)
        distances_um = [_malapposition_um(p, centroid, lumen, self.ps) for p in struts]
        malapposed = [d for d in distances_um if d > 100.0]
        return {
            "struts": struts,
            "stent": ordered if len(ordered) >= 3 else None,
            "strut_count": len(struts),
            "malapposed_strut_count": len(malapposed),
            "max_malapposition_um": round(max(malapposed), 3) if malapposed else 0.0,
        }

    def _calcium_truth(self, geom: _FrameGeometry) -> dict[str, Any]:
        calc = geom.calcium
        assert calc is not None
        end = calc.start_rad + calc.arc_rad
        # Arc endpoints sit a little inside the angular edges, in the calcium's middle depth.
        edge_in = math.radians(0.5)
        a1, a2 = calc.start_rad + edge_in, end - edge_in
        mid_depth = (calc.depth_mm + 0.2 * calc.thickness_mm) / self.ps
        p1 = self.point(a1, float(geom.lumen_radius_px(a1)) + mid_depth)
        p2 = self.point(a2, float(geom.lumen_radius_px(a2)) + mid_depth)
        centre = [round(self.cx, 3), round(self.cy, 3)]
        arc_deg = (_angle_deg(p2, centre) - _angle_deg(p1, centre)) % 360.0
        am = calc.start_rad + calc.arc_rad / 2
        border = float(geom.lumen_radius_px(am))
        t1 = self.point(am, border + calc.depth_mm / self.ps)
        t2 = self.point(am, border + (calc.depth_mm + calc.thickness_mm) / self.ps)
        thickness_mm = math.hypot(t2[0] - t1[0], t2[1] - t1[1]) * self.ps
        return {
            "calcium": [{"arc": [p1, p2], "thickness": [t1, t2], "center": centre}],
            "calcium_arc_deg": round(arc_deg, 6),
            "calcium_thickness_mm": round(thickness_mm, 6),
        }


def _polygon_area_px(points: list[list[float]]) -> float:
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _polygon_centroid(points: list[list[float]]) -> tuple[float, float]:
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2
    cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * a)
    cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * a)
    return float(cx), float(cy)


def _angle_deg(p: list[float], centre: list[float]) -> float:
    return math.degrees(math.atan2(p[1] - centre[1], p[0] - centre[0])) % 360.0


def _malapposition_um(
    strut: list[float], centroid: tuple[float, float], lumen: list[list[float]], ps: float
) -> float:
    """SPEC §5: along the ray from the lumen centroid through the strut, the distance from the
    strut to the lumen contour (µm), positive when the strut lies on the lumen side."""
    ox, oy = centroid
    dx, dy = strut[0] - ox, strut[1] - oy
    norm = math.hypot(dx, dy)
    dx, dy = dx / norm, dy / norm
    best = math.inf
    for (x1, y1), (x2, y2) in zip(lumen, lumen[1:] + lumen[:1], strict=True):
        ex, ey = x2 - x1, y2 - y1
        det = dx * (-ey) - dy * (-ex)
        if abs(det) < 1e-12:
            continue
        wx, wy = x1 - ox, y1 - oy
        t = (wx * (-ey) - wy * (-ex)) / det
        s = (dx * wy - dy * wx) / det
        if t > 0 and 0 <= s <= 1:
            best = min(best, t)
    return (best - norm) * ps * 1000.0


# --------------------------------------------------------------------------------------------
# DICOM writing
# --------------------------------------------------------------------------------------------


def _to_pixels(image: np.ndarray, photometric: str, bits_allocated: int) -> np.ndarray:
    """float [0, 1] image → stored pixel array for the photometric interpretation."""
    if photometric == "MONOCHROME2":
        if bits_allocated == 16:
            return np.asarray(np.rint(image * 4095).astype(np.uint16))  # 12 bits stored
        return np.asarray(np.rint(image * 255).astype(np.uint8))
    # A bronze look-up table, as IVOCT consoles display.
    rgb = np.stack([image**0.8, 0.88 * image**1.1, 0.62 * image**1.6], axis=-1)
    rgb8 = np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    if photometric == "RGB":
        return rgb8
    return _rgb_to_ybr_full(rgb8)


def _rgb_to_ybr_full(rgb: np.ndarray) -> np.ndarray:
    """PS3.3 C.7.6.3.1.2 YBR_FULL from 8-bit RGB."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    return np.asarray(np.clip(np.rint(np.stack([y, cb, cr], axis=-1)), 0, 255).astype(np.uint8))


def _ybr_full_422_bytes(ybr: np.ndarray) -> bytes:
    """Native YBR_FULL_422 layout (PS3.3 C.7.6.3.1.2): Y1 Y2 Cb Cr per horizontal pixel pair."""
    y = ybr[..., 0]
    cb = ybr[..., 1].astype(np.uint16)
    cr = ybr[..., 2].astype(np.uint16)
    out = np.empty((ybr.shape[0], ybr.shape[1] // 2, 4), dtype=np.uint8)
    out[..., 0] = y[:, 0::2]
    out[..., 1] = y[:, 1::2]
    out[..., 2] = ((cb[:, 0::2] + cb[:, 1::2] + 1) // 2).astype(np.uint8)
    out[..., 3] = ((cr[:, 0::2] + cr[:, 1::2] + 1) // 2).astype(np.uint8)
    return out.tobytes()


def _encode_jpeg(pixels: np.ndarray, photometric: str, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    if pixels.ndim == 2:
        Image.fromarray(pixels, mode="L").save(buffer, "JPEG", quality=quality)
    else:
        # Pillow converts RGB to YCbCr itself; 4:2:2 matches YBR_FULL_422, 4:4:4 YBR_FULL.
        subsampling = 0 if photometric == "YBR_FULL" else 1
        Image.fromarray(pixels, mode="RGB").save(
            buffer, "JPEG", quality=quality, subsampling=subsampling
        )
    return buffer.getvalue()


def _encoder_kwargs(ds: Dataset, photometric: str) -> dict[str, Any]:
    return {
        "rows": ds.Rows,
        "columns": ds.Columns,
        "samples_per_pixel": ds.SamplesPerPixel,
        "bits_allocated": ds.BitsAllocated,
        "bits_stored": ds.BitsStored,
        "pixel_representation": 0,
        "photometric_interpretation": photometric,
        "number_of_frames": 1,
        "planar_configuration": 0,
    }


def _compress_frame(pixels: np.ndarray, encoding: str, ds: Dataset, photometric: str) -> bytes:
    """One frame → one encapsulated fragment (JPEG via Pillow, others via pydicom's encoders)."""
    if encoding == "jpeg_baseline":
        return _encode_jpeg(pixels, photometric)
    from pydicom.pixels import get_encoder

    encoder = get_encoder(ENCODINGS[encoding])
    if not encoder.is_available:
        raise EncoderUnavailable(
            f"No encoder for {encoding} is installed ({encoder.missing_dependencies})."
        )
    kwargs = _encoder_kwargs(ds, photometric)
    if encoding == "jpeg2000":
        kwargs["j2k_cr"] = [15]
    elif encoding == "jpeg2000_lossless" and photometric != "MONOCHROME2":
        kwargs["use_mct"] = False
    elif encoding == "jpegls_near":
        kwargs["jls_error"] = 2
    return bytes(encoder.encode(pixels, **kwargs))


def _check_args(
    *,
    n_frames: int,
    rows: int,
    columns: int,
    encoding: str,
    sop_class: str,
    photometric: str,
    spacing_location: str,
    bits_allocated: int,
) -> None:
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {sorted(ENCODINGS)}")
    if sop_class not in SOP_CLASSES:
        raise ValueError(f"sop_class must be one of {sorted(SOP_CLASSES)}")
    if photometric not in PHOTOMETRICS:
        raise ValueError(f"photometric must be one of {PHOTOMETRICS}")
    if spacing_location not in SPACING_LOCATIONS:
        raise ValueError(f"spacing_location must be one of {SPACING_LOCATIONS}")
    if n_frames < 1 or rows < 32 or columns < 32:
        raise ValueError("need n_frames >= 1 and rows, columns >= 32")
    if bits_allocated not in (8, 16) or (bits_allocated == 16 and photometric != "MONOCHROME2"):
        raise ValueError("bits_allocated 16 is only generated for MONOCHROME2")
    if encoding == "jpeg_baseline" and bits_allocated != 8:
        raise ValueError("JPEG baseline is 8-bit only")
    if photometric == "YBR_FULL_422" and encoding not in (
        "explicit_little",
        "implicit_little",
        "jpeg_baseline",
    ):
        raise ValueError("YBR_FULL_422 is generated uncompressed or as JPEG baseline")
    if photometric == "YBR_FULL_422" and columns % 2:
        raise ValueError("YBR_FULL_422 needs an even number of columns")


def _stored_photometric(photometric: str, encoding: str) -> str:
    if encoding == "jpeg_baseline" and photometric == "RGB":
        return "YBR_FULL_422"  # what a JPEG baseline colour stream is (PS3.5 8.2.1)
    return photometric


def _base_dataset(
    *,
    sop_class: str,
    transfer_syntax: UID,
    sop_instance_uid: str,
    patient_name: str,
    patient_id: str,
    seed: int,
) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(SOP_CLASSES[sop_class])
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = UID("1.2.826.0.1.3680043.8.498.1")
    meta.SourceApplicationEntityTitle = "CATHLAB7_AE"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = SOP_CLASSES[sop_class]
    ds.SOPInstanceUID = sop_instance_uid
    ds.Modality = MODALITIES[sop_class]
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    for keyword, value in PHI_DEFAULTS.items():
        if keyword not in ("PrivateText", "RequestedProcedureID"):
            setattr(ds, keyword, value)
    ds.SeriesDate = "20190312"
    ds.ContentDate = "20190312"
    ds.ContentTime = "101530"
    ds.AcquisitionDateTime = "20190312101530.250000"
    ds.Manufacturer = "SYNTHETIC"
    ds.ManufacturerModelName = "PHANTOM-OCT"
    ds.SoftwareVersions = "1.0"
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["study", str(seed)])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["series", str(seed)])
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=["for", str(seed)])
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.BurnedInAnnotation = "NO"
    referenced = Dataset()
    referenced.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    referenced.ReferencedSOPInstanceUID = generate_uid(entropy_srcs=["study-ref", str(seed)])
    ds.ReferencedStudySequence = Sequence([referenced])
    request = Dataset()
    request.RequestedProcedureID = PHI_DEFAULTS["RequestedProcedureID"]
    request.AccessionNumber = PHI_DEFAULTS["AccessionNumber"]
    request.StudyInstanceUID = ds.StudyInstanceUID
    ds.RequestAttributesSequence = Sequence([request])
    block = ds.private_block(0x0009, "SYNTHETIC_VENDOR", create=True)
    block.add_new(0x01, "LO", PHI_DEFAULTS["PrivateText"])
    block.add_new(0x02, "LO", patient_name)
    return ds


def _add_calibration(
    ds: Dataset,
    *,
    n_frames: int,
    pixel_spacing_mm: float,
    frame_spacing_mm: float | None,
    spacing_location: str,
) -> None:
    spacing = [f"{pixel_spacing_mm:.6g}", f"{pixel_spacing_mm:.6g}"]

    def measures() -> Sequence:
        item = Dataset()
        item.PixelSpacing = spacing
        item.SliceThickness = "0.01"
        return Sequence([item])

    shared = Dataset()
    if spacing_location == "shared_functional_group":
        shared.PixelMeasuresSequence = measures()
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for f in range(n_frames):
        item = Dataset()
        content = Dataset()
        content.FrameAcquisitionNumber = f + 1
        content.DimensionIndexValues = [f + 1]
        item.FrameContentSequence = Sequence([content])
        if frame_spacing_mm is not None:
            intravascular = Dataset()
            intravascular.IntravascularLongitudinalDistance = round(f * frame_spacing_mm, 6)
            item.IntravascularFrameContentSequence = Sequence([intravascular])
        if spacing_location == "per_frame_functional_group":
            item.PixelMeasuresSequence = measures()
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    if spacing_location == "pixel_spacing":
        ds.PixelSpacing = spacing
    if frame_spacing_mm is not None:
        fps = PULLBACK_SPEED_MM_S / frame_spacing_mm
        ds.FrameTime = f"{1000.0 / fps:.6g}"
        ds.CineRate = round(fps)
        ds.FrameIncrementPointer = 0x00181063


def _add_pixel_module(
    ds: Dataset, *, n_frames: int, rows: int, columns: int, photometric: str, bits: int, lossy: bool
) -> None:
    ds.SamplesPerPixel = 1 if photometric == "MONOCHROME2" else 3
    ds.PhotometricInterpretation = photometric
    if ds.SamplesPerPixel == 3:
        ds.PlanarConfiguration = 0
    ds.Rows = rows
    ds.Columns = columns
    ds.NumberOfFrames = n_frames
    ds.BitsAllocated = bits
    ds.BitsStored = 12 if bits == 16 else 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.LossyImageCompression = "01" if lossy else "00"
    if lossy:
        ds.LossyImageCompressionMethod = "ISO_10918_1"


def _pixel_header(encapsulated: bool, implicit: bool, length: int, bits: int) -> bytes:
    """(7FE0,0010) element header, written by hand so frames can be streamed to disk."""
    tag = struct.pack("<HH", 0x7FE0, 0x0010)
    if implicit:
        return tag + struct.pack("<I", length)
    vr = b"OB" if encapsulated or bits == 8 else b"OW"
    return tag + vr + b"\x00\x00" + struct.pack("<I", length)


def _item(data: bytes) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(data)) + data


def make_synthetic_pullback(
    path: str | os.PathLike[str],
    *,
    n_frames: int = 60,
    rows: int = 512,
    columns: int = 512,
    encoding: str = "explicit_little",
    seed: int = 0,
    pixel_spacing_mm: float = 0.01,
    frame_spacing_mm: float | None = 0.2,
    sop_class: str = "ivoct_presentation",
    photometric: str = "MONOCHROME2",
    patient_name: str = "DOE^JANE",
    patient_id: str = "PHI-12345",
    spacing_location: str = "shared_functional_group",
    bits_allocated: int = 8,
    burned_in_annotation: bool = False,
    sop_instance_uid: str | None = None,
    artefacts: bool = False,
) -> dict[str, Any]:
    """Write a synthetic IVOCT-like multi-frame DICOM to ``path`` and return its ground truth.

    Pixel spacing is square, ``pixel_spacing_mm`` (mm/px); ``frame_spacing_mm`` (mm/frame) is
    written as per-frame Intravascular Longitudinal Distance (0052,0028) inside
    Intravascular Frame Content Sequence (0052,0027), and as a Frame Time (ms) consistent with a
    20 mm/s pullback; ``None`` writes neither. ``bits_allocated=16`` stores 12-bit grayscale.
    The SOP Instance UID is derived from ``seed`` (same seed, same UID) unless given.

    Frames are rendered and written one at a time (uncompressed data is streamed to the file),
    so a 540-frame 1024×1024 pullback needs memory for one frame plus the compressed frames.

    Raises ``ValueError`` for unsupported argument combinations and ``EncoderUnavailable`` when
    the encoder for ``encoding`` is not installed.
    """
    _check_args(
        n_frames=n_frames,
        rows=rows,
        columns=columns,
        encoding=encoding,
        sop_class=sop_class,
        photometric=photometric,
        spacing_location=spacing_location,
        bits_allocated=bits_allocated,
    )
    transfer_syntax = ENCODINGS[encoding]
    stored_photometric = _stored_photometric(photometric, encoding)
    uid = sop_instance_uid or generate_uid(
        entropy_srcs=["sop", str(seed), encoding, sop_class, photometric, str(n_frames)]
    )
    ds = _base_dataset(
        sop_class=sop_class,
        transfer_syntax=transfer_syntax,
        sop_instance_uid=uid,
        patient_name=patient_name,
        patient_id=patient_id,
        seed=seed,
    )
    if burned_in_annotation:
        ds.BurnedInAnnotation = "YES"
    _add_calibration(
        ds,
        n_frames=n_frames,
        pixel_spacing_mm=pixel_spacing_mm,
        frame_spacing_mm=frame_spacing_mm,
        spacing_location=spacing_location,
    )
    _add_pixel_module(
        ds,
        n_frames=n_frames,
        rows=rows,
        columns=columns,
        photometric=stored_photometric,
        bits=bits_allocated,
        lossy=encoding in LOSSY_ENCODINGS,
    )
    phantom = _Phantom(
        n_frames=n_frames,
        rows=rows,
        columns=columns,
        pixel_spacing_mm=pixel_spacing_mm,
        seed=seed,
        artefacts=artefacts,
    )
    truth_frames: dict[str, Any] = {}

    def frames() -> Iterator[np.ndarray]:
        for f in range(n_frames):
            geom = phantom.geometry(f)
            truth_frames[str(f)] = phantom.frame_truth(geom)
            yield _to_pixels(phantom.render(f, geom), photometric, bits_allocated)

    _write(path, ds, frames(), encoding=encoding, photometric=stored_photometric)
    return {
        "n_frames": n_frames,
        "rows": rows,
        "columns": columns,
        "pixel_spacing_mm": [pixel_spacing_mm, pixel_spacing_mm],
        "frame_spacing_mm": frame_spacing_mm,
        "catheter_center": [phantom.cx, phantom.cy],
        "sop_instance_uid": uid,
        "transfer_syntax_uid": str(transfer_syntax),
        "photometric": stored_photometric,
        "stent": {"distal_frame": phantom.stent[0], "proximal_frame": phantom.stent[1]},
        "calcium_segments": [
            {"start_frame": s, "end_frame": e} for s, e in sorted(phantom.calcium_segments)
        ],
        "phi": {**PHI_DEFAULTS, "PatientName": patient_name, "PatientID": patient_id},
        "frames": truth_frames,
    }


def synthetic_frames(
    *,
    n_frames: int = 60,
    rows: int = 512,
    columns: int = 512,
    seed: int = 0,
    pixel_spacing_mm: float = 0.01,
    artefacts: bool = True,
) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
    """The phantom's frames as 8-bit grayscale arrays with each frame's ground truth (the
    ``frames`` entries of :func:`make_synthetic_pullback`), without writing a DICOM file.
    The stented frames are those of ``make_synthetic_pullback``'s ``stent`` (30–70 %)."""
    phantom = _Phantom(
        n_frames=n_frames,
        rows=rows,
        columns=columns,
        pixel_spacing_mm=pixel_spacing_mm,
        seed=seed,
        artefacts=artefacts,
    )
    for f in range(n_frames):
        geom = phantom.geometry(f)
        yield _to_pixels(phantom.render(f, geom), "MONOCHROME2", 8), phantom.frame_truth(geom)


def _write(
    path: str | os.PathLike[str],
    ds: Dataset,
    frames: Iterator[np.ndarray],
    *,
    encoding: str,
    photometric: str,
) -> None:
    implicit = encoding == "implicit_little"
    encapsulated = ENCODINGS[encoding].is_compressed
    bits = int(ds.BitsAllocated)
    if encapsulated:
        fragments = []
        for pixels in frames:
            data = _compress_frame(pixels, encoding, ds, photometric)
            fragments.append(data + b"\x00" if len(data) % 2 else data)
    ds.save_as(path, enforce_file_format=True)
    with open(path, "ab") as out:
        if encapsulated:
            offsets, position = [], 0
            for data in fragments:
                offsets.append(position)
                position += 8 + len(data)
            out.write(_pixel_header(True, False, 0xFFFFFFFF, bits))
            out.write(_item(struct.pack(f"<{len(offsets)}I", *offsets)))
            for data in fragments:
                out.write(_item(data))
            out.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
            return
        frame_bytes = ds.Rows * ds.Columns * ds.SamplesPerPixel * bits // 8
        if photometric == "YBR_FULL_422":
            frame_bytes = ds.Rows * ds.Columns * 2
        total = frame_bytes * int(ds.NumberOfFrames)
        out.write(_pixel_header(False, implicit, total + total % 2, bits))
        for pixels in frames:
            if photometric == "YBR_FULL_422":
                out.write(_ybr_full_422_bytes(pixels))
            else:
                out.write(pixels.astype(pixels.dtype.newbyteorder("<"), copy=False).tobytes())
        if total % 2:
            out.write(b"\x00")
