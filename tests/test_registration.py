"""Self-registration (registration.py): person or company (name and 统一社会信用代码 with
its check digit), the account pending until the emailed link is opened."""
from __future__ import annotations

import datetime
import email
import re

import lxml.html
import pytest
from ckan import model
from ckan.tests import factories, helpers

from conftest import sweep_outbox, uscc
from ckanext.govshare import registration
from ckanext.govshare.model import OutboxMail

pytestmark = pytest.mark.usefixtures("clean_db")
PASSWORD = "Correct-horse-9"


def form(**kwargs):
    data = {"name": "zhangsan", "fullname": "张三", "email": "zhangsan@example.test",
            "password1": PASSWORD, "password2": PASSWORD, "applicant_type": "person",
            "save": ""}
    data.update(kwargs)
    return data


def register(app, **kwargs):
    return app.post("/user/register", data=form(**kwargs), follow_redirects=True)


def tree(response):
    return lxml.html.fromstring(response.body)


def field_error(page, field_id: str) -> str:
    found = page.xpath(f'//*[@id="{field_id}"]/ancestor::*[contains(@class, "form-group")][1]'
                       '//*[contains(@class, "error-block")]')
    return " ".join(e.text_content().strip() for e in found)


def mail_body(raw: bytes) -> str:
    message = email.message_from_bytes(raw)
    return next(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in message.walk() if part.get_content_type() == "text/plain")


def logs_in(app, name: str) -> bool:
    app.post("/user/login", data={"login": name, "password": PASSWORD},
             follow_redirects=True)
    page = app.get("/user/edit", follow_redirects=False)
    app.get("/user/_logout", follow_redirects=True)
    return page.status_code == 200


def test_register_form_offers_person_and_company(app):
    page = tree(app.get("/user/register"))
    assert page.xpath('//select[@name="applicant_type"]/option/@value') == ["person", "company"]
    assert page.xpath('//input[@name="organization_name"]')
    assert page.xpath('//input[@name="credit_code"]')
    assert "统一社会信用代码" in page.text_content()


def where_it_went(response) -> str:
    return " ".join(tree(response).xpath('//*[contains(@class, "govshare-mail-where")]//text()'))


def test_person_registers_confirms_by_email_then_logs_in(app, smtp_server):
    response = register(app)
    assert response.status_code == 200
    page = tree(response)  # the page saying where the confirmation went, not an error
    assert "zhangsan@example.test" in where_it_went(response)
    assert page.xpath('//a[@href="/user/login"]')
    assert not page.xpath('//*[contains(@class, "alert-danger")]')
    user = model.User.by_name("zhangsan")
    assert user.state == "pending"
    assert user.plugin_extras == {"govshare": {"applicant_type": "person"}}

    assert not logs_in(app, "zhangsan")  # CKAN refuses pending users

    assert smtp_server.received == []  # the email waits in the outbox for the sweep
    assert sweep_outbox() == {"sent": 1, "failed": 0}
    [(recipients, raw)] = smtp_server.received
    assert recipients == ["zhangsan@example.test"]
    body = mail_body(raw)
    link = re.search(r"http://test\.ckan\.net(/govshare/confirm/\S+)", body).group(1)
    confirmed = app.get(link, follow_redirects=True)
    assert confirmed.status_code == 200 and "确认" in confirmed.body
    model.Session.expire_all()
    assert model.User.by_name("zhangsan").state == "active"
    assert logs_in(app, "zhangsan")


def test_bad_or_foreign_confirm_link_activates_nothing(app, smtp_server):
    register(app)
    response = app.get("/govshare/confirm/not-a-token", follow_redirects=True)
    assert "无效" in response.body
    model.Session.expire_all()
    assert model.User.by_name("zhangsan").state == "pending"


def test_company_with_a_bad_credit_code_gets_a_field_error_and_no_user(app, smtp_server):
    good = uscc(4242)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = register(app, applicant_type="company", organization_name="某某科技有限公司",
                        credit_code=bad)
    page = tree(response)
    assert "统一社会信用代码" in field_error(page, "field-credit_code")
    assert not field_error(page, "field-organization_name")
    assert page.xpath('//input[@name="credit_code"]/@value') == [bad]
    assert model.User.by_name("zhangsan") is None
    assert model.Session.query(OutboxMail).count() == 0


def test_company_errors_come_with_ckans_own(app, smtp_server):
    page = tree(register(app, applicant_type="company", organization_name="",
                         credit_code="", password2="different"))
    assert field_error(page, "field-organization_name")
    assert field_error(page, "field-credit_code")
    assert field_error(page, "field-password")
    assert model.User.by_name("zhangsan") is None


def test_company_with_a_valid_code_is_stored_in_plugin_extras(app, smtp_server):
    code = uscc(4242)
    register(app, applicant_type="company", organization_name="某某科技有限公司",
             credit_code=code.lower())
    user = model.User.by_name("zhangsan")
    assert user.state == "pending"
    assert user.plugin_extras["govshare"] == {
        "applicant_type": "company", "organization_name": "某某科技有限公司",
        "credit_code": code}
    sweep_outbox()
    assert len(smtp_server.received) == 1


@pytest.mark.usefixtures("no_smtp_server")
def test_no_mail_server_still_registers_and_the_email_waits(app, smtp_server_later):
    response = register(app)
    assert response.status_code == 200
    assert "zhangsan@example.test" in where_it_went(response)
    assert model.User.by_name("zhangsan").state == "pending"
    [mail] = model.Session.query(OutboxMail).all()
    assert mail.to_address == "zhangsan@example.test" and mail.sent is None

    assert sweep_outbox() == {"sent": 0, "failed": 1}  # refused: counted, kept, retried later
    model.Session.expire_all()
    mail = model.Session.get(OutboxMail, mail.id)
    assert mail.attempts == 1 and mail.last_error and mail.sent is None
    assert sweep_outbox() == {"sent": 0, "failed": 0}  # not due yet

    server = smtp_server_later()
    mail.next_attempt = datetime.datetime.utcnow()
    model.repo.commit()
    assert sweep_outbox() == {"sent": 1, "failed": 0}
    assert [r for r, _ in server.received] == [["zhangsan@example.test"]]


def test_file_outbox_writes_the_confirmation_as_an_eml_file(app, tmp_path, ckan_config,
                                                            monkeypatch):
    mail_dir = tmp_path / "mail"
    monkeypatch.setitem(ckan_config, "govshare.mail.file_dir", str(mail_dir))
    response = register(app)
    assert response.status_code == 200
    assert str(mail_dir) in where_it_went(response)
    assert not mail_dir.exists() or not list(mail_dir.iterdir())
    assert sweep_outbox() == {"sent": 1, "failed": 0}
    [eml] = mail_dir.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes())
    assert message["To"].endswith("<zhangsan@example.test>")
    link = re.search(r"http://test\.ckan\.net(/govshare/confirm/\S+)", mail_body(eml.read_bytes()))
    app.get(link.group(1), follow_redirects=True)
    model.Session.expire_all()
    assert model.User.by_name("zhangsan").state == "active"


def test_users_created_otherwise_stay_active(app):
    assert factories.User()["state"] == "active"
    sysadmin = factories.Sysadmin()
    user = helpers.call_action("user_create", {"user": sysadmin["name"], "ignore_auth": False},
                               name="lisi", email="lisi@example.test", password=PASSWORD)
    assert user["state"] == "active"
    assert model.User.by_name("lisi").plugin_extras in (None, {})


def test_token_names_the_address_it_was_sent_to(smtp_server, app):
    register(app)
    user = model.User.by_name("zhangsan")
    token = registration.make_token(user)
    user.email = "other@example.test"
    model.repo.commit()
    assert registration.confirm(token) is not None
    assert model.User.by_name("zhangsan").state == "pending"
