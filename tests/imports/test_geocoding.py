"""An import's addresses go to the BAN's batch endpoint once a file (``/search/csv/``); a local
HTTP server stands in for the BAN (it is outside), nothing else is replaced."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import DatabaseError, connections, transaction

from actors.models import Organization
from imports import services
from imports.models import ImportBatch
from tests.factories import FarmFactory, TerritoryFactory, commune, make_officer

HEADERS = ["Nom", "Commune", "SIRET", "Adresse"]
FOUND = (46.4321, 4.6543)


@dataclass
class Posted:
    path: str
    fields: dict[str, list[str]]
    rows: list[dict]


@dataclass
class FakeBan:
    """Answers each address with ``answers[address]`` (score, citycode; else found in the
    commune asked with a score of 0.9), or fails: ``fail`` = "500" or "timeout"."""

    answers: dict = field(default_factory=dict)
    fail: str = ""
    posted: list[Posted] = field(default_factory=list)
    during: Callable[[], None] | None = None  # run (in the server's thread) before each answer

    def __post_init__(self) -> None:
        ban = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
                message = BytesParser(policy=default_policy).parsebytes(head + body)
                fields: dict[str, list[str]] = {}
                rows: list[dict] = []
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if name == "data":
                        rows = list(csv.DictReader(io.StringIO(part.get_payload(decode=True).decode("utf-8"))))
                    else:
                        fields.setdefault(name, []).append(part.get_content().strip())
                ban.posted.append(Posted(path=self.path, fields=fields, rows=rows))
                if ban.during is not None:
                    ban.during()
                if ban.fail == "timeout":
                    time.sleep(1.5)
                if ban.fail:
                    self.send_response(500)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                out = io.StringIO()
                columns = [*rows[0].keys(), "latitude", "longitude", "result_label", "result_score", "result_citycode"]
                writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                for row in rows:
                    score, citycode = ban.answers.get(row["address"], (0.9, row["citycode"]))
                    lat, lon = FOUND
                    writer.writerow(
                        {**row, "latitude": lat, "longitude": lon, "result_label": row["address"]}
                        | {"result_score": score, "result_citycode": citycode}
                    )
                payload = out.getvalue().encode("utf-8")
                self.send_response(200)
                self.send_header("content-type", "text/csv; charset=utf-8")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/search/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ban(settings):
    server = FakeBan()
    settings.GEOCODER = "ban"
    settings.GEOCODER_BAN_URL = server.url
    settings.GEOCODER_BAN_CSV_TIMEOUT = 0.5
    yield server
    server.close()


@pytest.fixture
def officer(geo):
    return make_officer(TerritoryFactory())


def _csv(rows) -> bytes:
    return ("\r\n".join(";".join(r) for r in [HEADERS, *rows]) + "\r\n").encode("utf-8")


def _import(officer, content: bytes) -> ImportBatch:
    territory = officer.territory_roles.get().territory
    batch = services.batch_create(by=officer, kind="farms", territory=territory, filename="f.csv", content=content)
    assert batch.status == ImportBatch.Status.CHECKED, batch.errors
    return batch


def test_an_import_locates_its_new_and_moved_actors_in_one_request_and_says_which_it_could_not(officer, ban):
    cluny = commune("71137")
    moved = FarmFactory(name="Ferme déménagée", siret="73282932000074", address="1 ancienne route")
    still = FarmFactory(
        name="Ferme immobile",
        siret="44306184100047",
        address="3 place du Marché",
        latitude=46.4345,
        longitude=4.6589,
        location_precision="address",
    )
    ban.answers = {"9 chemin perdu": (0.21, "71137"), "5 rue de Mâcon": (0.95, "71270")}
    rows = [
        ["Ferme trouvée", "71137", "", "2 rue du Pont"],
        ["Ferme sans adresse", "71137", "", ""],
        ["Ferme perdue", "71137", "", "9 chemin perdu"],
        ["Ferme ailleurs", "71137", "", "5 rue de Mâcon"],
        ["Ferme déménagée", "71137", "73282932000074", "8 nouvelle route"],
        ["Ferme immobile", "71137", "44306184100047", "3 place du Marché"],  # located, same address: not asked
    ]
    batch = _import(officer, _csv(rows))
    assert ban.posted == []  # the check asks no geocoder

    batch = services.batch_commit(by=officer, batch=batch)

    assert batch.status == ImportBatch.Status.DONE, batch.errors
    [posted] = ban.posted
    assert posted.path == "/search/csv/"
    assert posted.fields == {"columns": ["address"], "citycode": ["citycode"]}
    assert [(r["address"], r["citycode"]) for r in posted.rows] == [
        ("2 rue du Pont", "71137"),
        ("9 chemin perdu", "71137"),
        ("5 rue de Mâcon", "71137"),
        ("8 nouvelle route", "71137"),  # a move is located with the new actors
    ]

    def place(name):
        o = Organization.objects.get(name=name)
        return (o.latitude, o.longitude, o.location_precision)

    town_hall = (cluny.latitude, cluny.longitude, "commune")
    assert place("Ferme trouvée") == (*FOUND, "address")
    assert place("Ferme déménagée") == (*FOUND, "address")
    assert place("Ferme sans adresse") == town_hall
    assert place("Ferme perdue") == town_hall
    assert place("Ferme ailleurs") == town_hall
    assert place("Ferme immobile") == (still.latitude, still.longitude, still.location_precision)
    assert Organization.objects.get(pk=moved.pk).address == "8 nouvelle route"
    assert [(w["line"], w["column"], w["value"]) for w in batch.warnings] == [
        (4, "Adresse", "9 chemin perdu"),
        (5, "Adresse", "5 rue de Mâcon"),
    ]
    assert (
        batch.warnings[0]["reason"]
        == "Adresse introuvable à Cluny (score 0,21 sur 1) : l'acteur est placé à la mairie."
    )
    assert batch.warnings[1]["reason"] == (
        "La Base Adresse Nationale situe cette adresse dans une autre commune (71270) : l'acteur est placé à la "
        "mairie de Cluny."
    )
    report = services.exports.to_csv(services.batch_error_report(batch)).decode("utf-8-sig")
    assert "4;Adresse;9 chemin perdu;Adresse introuvable à Cluny" in report


def test_a_large_file_s_addresses_go_in_chunks(officer, ban, settings):
    settings.GEOCODER_BAN_CSV_ROWS = 2
    rows = [[f"Ferme {i}", "71137", "", f"{i} rue du Pont"] for i in range(5)]
    batch = services.batch_commit(by=officer, batch=_import(officer, _csv(rows)))
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert [[r["address"] for r in p.rows] for p in ban.posted] == [
        ["0 rue du Pont", "1 rue du Pont"],
        ["2 rue du Pont", "3 rue du Pont"],
        ["4 rue du Pont"],
    ]
    precisions = Organization.objects.filter(name__startswith="Ferme ").values_list("location_precision", flat=True)
    assert set(precisions) == {"address"}


@pytest.mark.parametrize("fail", ["500", "timeout"])
def test_when_the_address_service_fails_the_import_completes_at_the_town_halls_and_says_so(officer, ban, fail):
    ban.fail = fail
    cluny = commune("71137")
    rows = [["Ferme A", "71137", "", "2 rue du Pont"], ["Ferme B", "71137", "", "4 rue du Pont"]]
    batch = services.batch_commit(by=officer, batch=_import(officer, _csv(rows)))
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert len(ban.posted) == 1
    for farm in Organization.objects.filter(name__in=["Ferme A", "Ferme B"]):
        assert (farm.latitude, farm.longitude, farm.location_precision) == (cluny.latitude, cluny.longitude, "commune")
        assert farm.address.endswith("rue du Pont")  # kept
    assert [(w["line"], w["reason"]) for w in batch.warnings] == [
        (
            "",
            "Le service national d'adresses n'a pas répondu : 2 acteurs sont placés à la mairie de leur commune "
            "(leur adresse est gardée).",
        )
    ]


def test_an_actor_left_at_its_town_hall_is_located_when_the_same_file_is_imported_again(officer, ban):
    cluny = commune("71137")
    rows = [["Ferme A", "71137", "", "2 rue du Pont"], ["Ferme B", "71137", "", "4 rue du Pont"]]
    ban.fail = "500"
    batch = services.batch_commit(by=officer, batch=_import(officer, _csv(rows)))
    assert (batch.status, batch.rows_created, len(batch.warnings)) == (ImportBatch.Status.DONE, 2, 1)
    farms = Organization.objects.filter(name__in=["Ferme A", "Ferme B"])
    assert {(f.latitude, f.longitude, f.location_precision) for f in farms} == {
        (cluny.latitude, cluny.longitude, "commune")
    }

    ban.fail = ""  # the BAN answers again; the same file, the same addresses
    ban.answers = {"4 rue du Pont": (0.3, "71137")}
    batch = services.batch_commit(by=officer, batch=_import(officer, _csv(rows)))

    assert (batch.status, batch.rows_updated) == (ImportBatch.Status.DONE, 2), batch.errors
    assert [[r["address"] for r in p.rows] for p in ban.posted[1:]] == [["2 rue du Pont", "4 rue du Pont"]]
    assert {(f.name, f.latitude, f.longitude, f.location_precision) for f in farms.all()} == {
        ("Ferme A", *FOUND, "address"),
        ("Ferme B", cluny.latitude, cluny.longitude, "commune"),  # still not found: its line says so
    }
    assert [(w["line"], w["value"]) for w in batch.warnings] == [(3, "4 rue du Pont")]

    batch = services.batch_commit(by=officer, batch=_import(officer, _csv(rows[:1])))
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert len(ban.posted) == 2  # located at its address now: not asked again


def test_the_page_shows_an_import_s_warnings(officer, ban, client):
    ban.answers = {"9 chemin perdu": (0.21, "71137")}
    batch = services.batch_commit(
        by=officer, batch=_import(officer, _csv([["Ferme X", "71137", "", "9 chemin perdu"]]))
    )
    client.force_login(officer)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "1 avertissement" in page and "Adresse introuvable à Cluny" in page
    assert "Rapport des avertissements (CSV)" in page


# --- The geocoder is asked before the import's transaction opens --------------------------------


@pytest.fixture
def committed_officer(transactional_geo):
    """An officer whose rows are committed, so that another connection sees them (the BAN's
    answer is awaited by the import while someone else works)."""
    return make_officer(TerritoryFactory())


def _from_another_connection(work) -> Callable[[], None]:
    """``work`` run on a connection of the server's thread (another session than the import's),
    its outcome or its database error recorded."""
    outcomes: list = []

    def during():
        try:
            outcomes.append(work())
        except DatabaseError as error:
            outcomes.append(error)
        finally:
            connections.close_all()  # this thread's connection only

    during.outcomes = outcomes
    return during


@pytest.mark.django_db(transaction=True)
def test_the_geocoder_is_asked_with_no_transaction_open_and_no_row_locked(committed_officer, ban):
    moved = FarmFactory(name="Ferme déménagée", siret="73282932000074", address="1 ancienne route")
    rows = [["Ferme trouvée", "71137", "", "2 rue du Pont"], ["Ferme déménagée", "71137", moved.siret, "8 route"]]
    batch = _import(committed_officer, _csv(rows))
    importing = connections["default"]  # the import's connection (this thread's)

    def work():
        with transaction.atomic():  # NOWAIT: a lock the import held would fail here at once
            ImportBatch.objects.select_for_update(nowait=True).get(pk=batch.pk)
            Organization.objects.select_for_update(nowait=True).get(pk=moved.pk)
        return (importing.in_atomic_block, Organization.objects.filter(name="Ferme trouvée").exists())

    ban.during = _from_another_connection(work)

    batch = services.batch_commit(by=committed_officer, batch=batch)

    # While the BAN was answering: the import had no transaction open, the batch's row and the
    # moved actor's were free, and nothing was written yet.
    assert ban.during.outcomes == [(False, False)]
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    located = Organization.objects.filter(name__in=["Ferme trouvée", "Ferme déménagée"])
    assert {(o.name, o.latitude, o.longitude, o.location_precision) for o in located} == {
        ("Ferme trouvée", *FOUND, "address"),
        ("Ferme déménagée", *FOUND, "address"),
    }


@pytest.mark.django_db(transaction=True)
def test_a_row_changed_while_the_geocoder_answers_refuses_the_whole_import(committed_officer, ban):
    moved = FarmFactory(name="Ferme déménagée", siret="73282932000074", address="1 ancienne route")
    rows = [["Ferme nouvelle", "71137", "", "2 rue du Pont"], ["Ferme déménagée", "71137", moved.siret, "8 route"]]
    batch = _import(committed_officer, _csv(rows))

    def work():  # someone edits the farm meanwhile, through its page's service
        from actors import services as actor_services
        from actors.inputs import organization_data

        farm = Organization.objects.get(pk=moved.pk)
        data = organization_data({"description": "changée entre-temps"}, partial=True)
        return actor_services.organization_update(organization=farm, by=committed_officer, data=data).description

    ban.during = _from_another_connection(work)

    batch = services.batch_commit(by=committed_officer, batch=batch)

    assert ban.during.outcomes == ["changée entre-temps"]
    assert batch.status == ImportBatch.Status.INVALID
    assert [e["reason"] for e in batch.errors] == [
        "« Ferme déménagée » a été modifié ou supprimé pendant l'import ; relancez l'import."
    ]
    assert not Organization.objects.filter(name="Ferme nouvelle").exists()  # all or nothing
    farm = Organization.objects.get(pk=moved.pk)
    assert (farm.address, farm.description) == ("1 ancienne route", "changée entre-temps")
    assert batch.warnings == []
