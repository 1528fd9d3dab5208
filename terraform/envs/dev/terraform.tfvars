project             = "rupaya"
environment         = "dev"
region              = "us-east-1"
ecr_repository_name = "rupaya-backend"
# dev's alarms may go unheard (alarms.subscriber_required: false in tiers.yaml); set an address to hear them.
alarm_email = null
