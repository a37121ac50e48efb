"""Self-registration (registration.py): person or company (name and 统一社会信用代码 with
its check digit), the account pending until the emailed link is opened."""
from __future__ import annotations

import email
import re

import lxml.html
import pytest
from ckan import model
from ckan.tests import factories, helpers

from conftest import uscc
from ckanext.govshare import registration

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


def test_person_registers_confirms_by_email_then_logs_in(app, smtp_server):
    response = register(app)
    assert response.status_code == 200
    page = tree(response)  # the login page with "check your email", not an error
    assert page.xpath('//form[@id="login-form"]') or "/user/login" in response.request.path
    assert "zhangsan@example.test" in " ".join(page.xpath('//*[contains(@class, "alert-success")]//text()'))
    assert not page.xpath('//*[contains(@class, "alert-danger")]')
    user = model.User.by_name("zhangsan")
    assert user.state == "pending"
    assert user.plugin_extras == {"govshare": {"applicant_type": "person"}}

    assert not logs_in(app, "zhangsan")  # CKAN refuses pending users

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
    assert smtp_server.received == []


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
    assert len(smtp_server.received) == 1


def test_mail_server_down_creates_no_pending_account(app):
    # no smtp_server fixture: nothing listens on smtp.server
    page = tree(register(app))
    assert field_error(page, "field-email")
    assert model.User.by_name("zhangsan") is None


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
