"""logitrack.pdfs against PDFs that hide their actions behind indirect references, built here with pypdf."""

import io
import time

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject, NameObject, NullObject, TextStringObject

from logitrack import pdfs
from logitrack.exceptions import ValidationFailed


def _code(data: bytes) -> str:
    with pytest.raises(ValidationFailed) as refused:
        pdfs.verify(data)
    return refused.value.code


def _reference_to(writer: PdfWriter, target: IndirectObject) -> IndirectObject:
    """A new object whose whole body is a reference to `target` ("6 0 obj 5 0 R endobj")."""
    slot = writer._add_object(NullObject())
    writer._objects[slot.idnum - 1] = IndirectObject(target.idnum, target.generation, writer)
    return slot


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _with_open_action(action_type) -> bytes:
    """One blank page that launches calc.exe on open; the action's /S is `action_type`."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    action = DictionaryObject({NameObject("/S"): action_type, NameObject("/F"): TextStringObject("calc.exe")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _bytes(writer)


def launch_behind_a_reference() -> bytes:
    """An open action whose type is `/S 1 0 R`, object 1 being `/Launch`."""
    writer = PdfWriter()
    hidden = writer._add_object(NameObject("/Launch"))
    writer.add_blank_page(595, 842)
    action = DictionaryObject({NameObject("/S"): hidden, NameObject("/F"): TextStringObject("calc.exe")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    data = _bytes(writer)
    assert f"/S {hidden.idnum} 0 R".encode() in data  # the type really is behind a reference
    return data


def references_in_a_cycle() -> bytes:
    """An open action whose type is 8 0 R, object 8 being 9 0 R and object 9 being 8 0 R."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    first = writer._add_object(NullObject())
    second = _reference_to(writer, first)
    writer._objects[first.idnum - 1] = IndirectObject(second.idnum, 0, writer)
    action = DictionaryObject({NameObject("/S"): first})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _bytes(writer)


def test_a_launch_action_whose_type_is_an_indirect_object_is_refused():
    data = launch_behind_a_reference()
    assert _code(data) == "upload.active_content"
    assert _code(_with_open_action(NameObject("/Launch"))) == "upload.active_content"  # inline, as before
    assert pdfs.verify(_with_open_action(NameObject("/GoTo"))) == 1  # a harmless action is fine


def test_an_annotation_subtype_and_an_object_type_are_resolved_too():
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    subtype = writer._add_object(NameObject("/FileAttachment"))
    annotation = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): subtype})
    page[NameObject("/Annots")] = writer._add_object(DictionaryObject({NameObject("/A"): annotation}))
    assert _code(_bytes(writer)) == "upload.active_content"


def test_reference_cycles_are_refused_quickly():
    # a chain of actions that points back at itself (/Next), with the action type one hop away
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    action = DictionaryObject({NameObject("/S"): writer._add_object(NameObject("/GoTo"))})
    reference = writer._add_object(action)
    action[NameObject("/Next")] = reference
    writer._root_object[NameObject("/OpenAction")] = reference
    started = time.monotonic()
    assert pdfs.verify(_bytes(writer)) == 1  # a cycle through dictionaries is walked once

    assert _code(references_in_a_cycle()) == "upload.undecodable"
    assert time.monotonic() - started < 2


def test_the_reference_resolver_stops_at_a_cycle_and_at_long_chains():
    writer = PdfWriter()  # its objects resolve as a reader's do: get_object() returns what the slot holds
    first = writer._add_object(NullObject())
    second = _reference_to(writer, first)
    writer._objects[first.idnum - 1] = IndirectObject(second.idnum, 0, writer)
    with pytest.raises(ValidationFailed) as refused:
        pdfs._resolved(first)
    assert refused.value.code == "upload.undecodable"

    target = writer._add_object(NameObject("/Launch"))
    chain = target
    for _ in range(pdfs.MAX_REFERENCE_HOPS - 1):
        chain = _reference_to(writer, chain)
    assert pdfs._resolved(chain) == "/Launch"  # a long but finite chain resolves
    with pytest.raises(ValidationFailed):
        pdfs._resolved(_reference_to(writer, chain))  # one hop more is refused
