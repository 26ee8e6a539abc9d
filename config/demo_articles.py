"""The demo help center of `seed_demo`: a few articles in English and Russian, one only for
Enterprise customers."""

# category, translations per locale, options (a minimum tier, tags)
DEMO_ARTICLES = [
    (
        "shipping",
        {
            "en": {
                "title": "Where is my order?",
                "body_md": "Open **Orders** in your account and click the order number: the"
                " tracking link shows where the parcel is.\n\nNo movement for three working"
                " days? Write to us with the order number.",
            },
            "ru": {
                "title": "Где мой заказ?",
                "body_md": "Откройте **Заказы** в личном кабинете и нажмите на номер заказа:"
                " ссылка отслеживания покажет, где посылка.\n\nДоставка задерживается"
                " больше трёх рабочих дней? Напишите нам с номером заказа.",
            },
        },
        {"tags": ["delivery", "tracking"]},
    ),
    (
        "shipping",
        {
            "en": {
                "title": "My parcel arrived damaged",
                "body_md": "Take a photo of the box and the item, then reply to your order"
                " email with the photos: we send a replacement or refund the order.",
            },
        },
        {"tags": ["damaged", "refund"]},
    ),
    (
        "account",
        {
            "en": {
                "title": "Reset your password",
                "body_md": "Click **Forgot password?** on the sign-in page and follow the"
                " link we email you (valid for one hour).",
            },
            "ru": {
                "title": "Как сбросить пароль",
                "body_md": "Нажмите **Забыли пароль?** на странице входа и перейдите по"
                " ссылке из письма (действует один час).",
            },
        },
        {"tags": ["password"]},
    ),
    (
        "account",
        {
            "en": {
                "title": "Single sign-on for your team",
                "body_md": "Enterprise plans can sign in with their company's identity"
                " provider: ask your account manager for the SAML settings.",
            },
        },
        {"tier": "Enterprise", "tags": ["sso"]},
    ),
]
