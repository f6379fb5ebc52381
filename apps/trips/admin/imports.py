"""The trip list's "Import bookings": a CSV of bookings for one of the user's fleets, checked (dry run) or booked
row by row through the booking service, with the line-by-line report the driver and vehicle imports give."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from apps.trips import integrations
from apps.trips.services import booking_import
from logitrack.admin import managed_fleets
from logitrack.http.principal import principal


class ImportForm(forms.Form):
    fleet = forms.TypedChoiceField(coerce=str, help_text="The fleet the trips are booked with.")
    file = forms.FileField(help_text="UTF-8 CSV with a header row; the columns are listed below.")
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Dry run",
        help_text="Check every row against the booking rules, book nothing.",
    )

    def __init__(self, *args, fleets: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fleets = fleets
        fleet = self.fields["fleet"]
        assert isinstance(fleet, forms.TypedChoiceField)
        by_name = sorted(fleets.items(), key=lambda item: str(item[1]).lower())
        fleet.choices = [(str(k), str(v)) for k, v in by_name]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > booking_import.MAX_BYTES:  # refused before reading it into memory
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; at most {booking_import.MAX_BYTES:,} are taken at once."
            )
        try:
            return booking_import.parse(upload.read())
        except booking_import.FileRefused as exc:
            raise forms.ValidationError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None


class BookingImport:
    """Adds `<changelist>/import/` (route `admin:trips_trip_import`) to the trips admin."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="{}_{}_import".format(*info)),
            *super().get_urls(),
        ]

    def import_view(self, request):
        who = principal(request)
        if who is None or not self.has_change_permission(request):
            raise PermissionDenied
        fleets = managed_fleets(request)
        names = integrations.fleet_names(ids=None if fleets is None else sorted(fleets, key=str))
        form = ImportForm(request.POST or None, request.FILES or None, fleets=names)
        report = dry_run = None
        if request.method == "POST" and form.is_valid():
            fleet_id = next(k for k in names if str(k) == form.cleaned_data["fleet"])
            dry_run = form.cleaned_data["dry_run"]
            report = booking_import.import_bookings(
                form.cleaned_data["file"], fleet_id=fleet_id, booked_by_id=who.user_id, dry_run=dry_run
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import bookings",
            "form": form,
            "report": report,
            "dry_run": dry_run,
            "required": booking_import.REQUIRED,
            "columns": booking_import.COLUMNS,
            "max_rows": booking_import.MAX_ROWS,
        }
        return TemplateResponse(request, "admin/trips/trip/import.html", context, status=400 if form.errors else 200)
