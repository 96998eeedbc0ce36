def test_create_and_read_client(http, auth, new_client):
    created = new_client(country="NL")
    response = http.get(f"/v1/clients/{created['id']}", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["country"] == "NL"
