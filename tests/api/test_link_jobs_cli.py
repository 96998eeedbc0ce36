"""`flask --app app links bulk`: a link job from the command line, with progress and counts."""

from tests.api.link_jobs_support import business_tables, make_clients
from tests.api.links_support import entities, history_of, link_of


def _bulk(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["links", "bulk", *args], input=input)


def test_links_bulk_links_the_clients_of_a_file_with_a_progress_bar_and_counts(
    app, http, auth, cwc_sim, tmp_path
):
    made = make_clients(app, "K", 10)  # the 10th is private
    ids = [client.id for client, _ in made]
    listing = tmp_path / "clients.txt"
    listing.write_text(f"# onboarding\n{ids[0]}, {ids[1]}\n{ids[9]}\n")

    result = _bulk(app, "--action", "link", "--clients", str(listing), "--with-contacts")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "link 3 clients"  # the progress bar's label (a terminal shows the bar)
    assert lines[-1].endswith(": 6 records: linked 4, not_eligible 2")
    for client, (person, *_) in (made[0], made[1]):
        assert link_of(http, auth, "client", client.id)["sync"]["state"] == "synced"
        [event] = history_of(http, auth, "contact", person.id)
        assert (event["actor"], event["action"], event["result"]) == (
            "operator",
            "link_on",
            "synced",
        )
        assert event["request_id"].startswith("cli-")
    assert link_of(http, auth, "client", ids[9])["active"] is False
    job = http.get("/v1/link-jobs", headers=auth).get_json()["items"][0]
    assert (job["state"], job["created_by"], job["total"]) == ("done", "operator", 6)


def test_links_bulk_dry_run_of_all_eligible_changes_nothing(app, cwc_sim):
    make_clients(app, "L", 12)  # 10 and 11 are private and suspect
    tables = business_tables(app)

    result = _bulk(app, "--action", "link", "--clients", "all-eligible", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "dry run: link 10 clients"
    assert result.output.splitlines()[-1].endswith(": 10 records: would_link 10")
    assert business_tables(app) == tables and entities(cwc_sim) == []


def test_links_bulk_unlinks_every_linked_client_from_stdin_or_all_eligible(app, cwc_sim):
    made = make_clients(app, "M", 3)
    ids = "\n".join(str(client.id) for client, _ in made)
    assert _bulk(app, "--action", "link", "--clients", "-", input=ids).exit_code == 0
    assert _bulk(app, "--action", "link", "--clients", "all-eligible").output == (
        "no clients to link\n"
    )

    result = _bulk(app, "--action", "unlink", "--clients", "all-eligible")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].endswith(": 6 records: unlinked 3, unchanged 3")
    assert {entity["Type"] for entity in entities(cwc_sim)} == {"I"}
    assert _bulk(app, "--action", "unlink", "--clients", "all-eligible").output == (
        "no clients to unlink\n"
    )


def test_links_bulk_refuses_what_is_not_a_client_and_starts_nothing(app, http, auth, tmp_path):
    made = make_clients(app, "N", 1)
    listing = tmp_path / "clients.txt"

    listing.write_text("12 twelve\n")
    result = _bulk(app, "--action", "link", "--clients", str(listing))
    assert result.exit_code == 2 and "'twelve' is not a client id" in result.output
    listing.write_text(f"{made[0][0].id} 424242\n")
    result = _bulk(app, "--action", "link", "--clients", str(listing))
    assert result.exit_code == 1 and "No client with id 424242" in result.output
    result = _bulk(app, "--action", "relink", "--clients", str(listing))
    assert result.exit_code == 2
    assert http.get("/v1/link-jobs", headers=auth).get_json()["total"] == 0
