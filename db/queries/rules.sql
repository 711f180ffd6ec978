-- Billing and market rules (db/functions/1*.sql), called from db/rules.py.

-- name: rules_billing_summary
select * from smf.billing_summary(%(uc_code)s, %(month)s, %(with_losses)s);

-- name: rules_billing_data_quality
select * from smf.billing_data_quality(%(uc_code)s, %(month)s);

-- name: rules_billing_summary_distributor
select * from smf.billing_summary_distributor(%(aneel_code)s, %(month)s, %(with_losses)s);

-- name: rules_measured_demand
select * from smf.measured_demand(%(uc_code)s, %(month)s, %(with_losses)s);

-- name: rules_ufer_dmcr
select * from smf.ufer_dmcr(%(uc_code)s, %(month)s, %(with_losses)s);

-- name: rules_ufer_dmcr_hourly
select * from smf.ufer_dmcr_hourly(%(uc_code)s, %(month)s, %(with_losses)s);

-- name: rules_musd_check
select * from smf.musd_check(%(uc_code)s, %(month)s, %(factor)s, %(with_losses)s);

-- name: rules_musd_check_hours
select * from smf.musd_check_hours(%(uc_code)s, %(month)s, %(factor)s, %(with_losses)s);

-- name: rules_exposure_month
select * from smf.exposure_month(%(uc_code)s, %(month)s);

-- name: rules_exposure_hourly
select * from smf.exposure_hourly(%(uc_code)s, %(month)s);

-- name: rules_lastro_penalty
select * from smf.lastro_penalty(%(uc_code)s, %(month)s);

-- name: rules_posto_at
select * from smf.posto_at(%(uc_code)s, %(ts)s);

-- name: rules_ccee_deadlines
select * from smf.ccee_deadlines(%(month)s);

-- name: rules_is_business_day
select smf.is_business_day(%(day)s, %(purpose)s) as result;

-- name: rules_add_business_days
select smf.add_business_days(%(day)s, %(n)s, %(purpose)s) as result;
