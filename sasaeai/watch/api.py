from ninja import Router

from sasaeai.watch import partner_api

router = Router(tags=["watch"])
router.add_router("", partner_api.router)  # w3partners: POST /partner-reports (report keys)
