"""The queue's name search is served by pg_trgm indexes on PostgreSQL; the
embedded default (SQLite) still migrates and searches without them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from consultations.models import ConsultationRequest
from consultations.selectors import QueueFilters, queue_page
from tests.factories import ConsultationRequestFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_a_name_search_uses_the_trigram_indexes(coordinator_user):
    assert connection.vendor == "postgresql"
    ConsultationRequestFactory(first_name="Persephone", last_name="Zyx")
    page = queue_page(
        queryset=ConsultationRequest.objects.all(),
        filters=QueueFilters(q="sepho"),
        page_number=1,
        viewer=coordinator_user,
    )
    assert [case.first_name for case in page.object_list] == ["Persephone"]

    searches = {
        "consult_first_name_trgm": ConsultationRequest.objects.filter(first_name__icontains="seph"),
        "consult_last_name_trgm": ConsultationRequest.objects.filter(last_name__icontains="zyx"),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # A handful of rows make a scan cheapest; forbid it to see whether the
        # index matches the expression Django writes at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for index, search in searches.items():
            plan = search.order_by().explain()
            assert index in plan, plan


def test_sqlite_migrates_and_searches_by_name(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from consultations.models import ConsultationRequest as C;"
        "print(C.objects.filter(last_name__icontains='zyx').count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("0")
