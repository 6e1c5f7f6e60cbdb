def test_login_and_start_page(client_as):
    client = client_as("member")
    response = client.get("/")
    assert response.status_code == 200
    assert "Ahlers" in response.get_data(as_text=True)


def test_my_bodies_lists_vorstandskonferenz_members(client_as):
    client = client_as("member")
    html = client.get("/meine-gremien").get_data(as_text=True)
    assert "Vorstandskonferenz" in html
    assert "Feldkamp" in html
