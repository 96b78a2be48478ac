from ninja import Router

from sasaeai.disaster import emergency_api, evacuation_api, register_api

router = Router(tags=["disaster"])
router.add_router("", register_api.router)
router.add_router("", emergency_api.router)
router.add_router("", evacuation_api.router)
