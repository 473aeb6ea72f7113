// The JS port of backend/warranty/rules.py against the shared vectors
// (tests/vectors/warranty_rules.json): the same outputs as Python, case by case.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  businessDay,
  imeiProblem,
  isTimeZone,
  isDate,
  luhnCheckDigit,
  maskAddress,
  maskName,
  maskPhone,
  normalisePhone,
  serviceRefusal,
  standing,
  tac,
  terms,
  termsJson,
} from './rules.js';

const VECTORS = JSON.parse(
  readFileSync(new URL('../../../tests/vectors/warranty_rules.json', import.meta.url), 'utf8'),
);

// The vectors name the reasons as words; the port answers message keys.
const WHY = { 'check digit': 'checkDigit', length: 'length', digits: 'digits' };

describe('warranty rules: shared vectors', () => {
  it('has every section', () => {
    for (const key of [
      'luhn_check_digit',
      'valid_imeis',
      'invalid_imeis',
      'tac',
      'phones',
      'terms',
      'standing',
      'service_refusal',
      'service_at',
      'masks',
    ]) {
      expect(VECTORS[key], key).toBeTruthy();
    }
  });

  it.each(VECTORS.luhn_check_digit)('luhnCheckDigit(%s) = %i', (body, digit) => {
    expect(luhnCheckDigit(body)).toBe(digit);
  });

  it.each(VECTORS.valid_imeis)('accepts %s', (imei) => {
    expect(imeiProblem(imei)).toBeNull();
  });

  it.each(VECTORS.invalid_imeis.map((v) => [v.imei, v.why]))('refuses %j (%s)', (imei, why) => {
    expect(WHY[why], `unknown reason ${why}`).toBeDefined();
    expect(imeiProblem(imei)).toBe(WHY[why]);
  });

  it.each(VECTORS.tac)('tac(%s) = %s', (imei, code) => {
    expect(tac(imei)).toBe(code);
  });

  it.each(VECTORS.phones)('normalisePhone(%j) = %j', (raw, normal) => {
    expect(normalisePhone(raw)).toBe(normal);
  });

  it.each(VECTORS.terms)('terms of $purchase_date ($return_days d, $exchange_days d, $repair_months mo)', (v) => {
    const t = terms(v.purchase_date, v.return_days, v.exchange_days, v.repair_months);
    expect(termsJson(t)).toEqual({
      return_until: v.return_until,
      exchange_until: v.exchange_until,
      repair_until: v.repair_until,
    });
  });

  it.each(VECTORS.standing)('standing on $today (bought $purchase_date, void $voided) = $standing', (v) => {
    const t = terms(v.purchase_date, v.return_days, v.exchange_days, v.repair_months);
    const closed = v.closed_kind ?? null;
    expect(standing(t, v.today, v.voided, closed)).toBe(v.standing);
    expect(standing(termsJson(t), v.today, v.voided, closed)).toBe(v.standing); // the server's shape too
  });

  it.each(VECTORS.service_refusal)('$kind on $occurred_on (bought $purchase_date) → $refusal.reason', (v) => {
    const t = terms(v.purchase_date, v.return_days, v.exchange_days, v.repair_months);
    expect(serviceRefusal(v.kind, t, v.occurred_on)).toEqual(v.refusal);
    expect(serviceRefusal(v.kind, termsJson(t), v.occurred_on)).toEqual(v.refusal); // the server's shape too
  });

  it.each(VECTORS.service_at)('$kind at $occurred_at: the business day in $zone, not $device_zone ($why)', (v) => {
    expect(businessDay(v.occurred_at, v.zone)).toBe(v.occurred_on);
    expect(businessDay(Date.parse(v.occurred_at), v.zone)).toBe(v.occurred_on); // ms as well as ISO
    expect(businessDay(v.occurred_at, v.device_zone)).toBe(v.device_day);
    const t = terms(v.purchase_date, v.return_days, v.exchange_days, v.repair_months);
    expect(serviceRefusal(v.kind, t, businessDay(v.occurred_at, v.zone))).toEqual(v.refusal);
    // The phone's own day gives the other answer: the case is one the device's date gets wrong.
    expect(serviceRefusal(v.kind, t, v.device_day) === null).toBe(v.refusal !== null);
  });

  it('masks phones, addresses and names', () => {
    for (const [raw, masked] of VECTORS.masks.phone) expect(maskPhone(raw), raw).toBe(masked);
    for (const [raw, masked] of VECTORS.masks.address) expect(maskAddress(raw), raw).toBe(masked);
    for (const [raw, masked] of VECTORS.masks.name) expect(maskName(raw), raw).toBe(masked);
  });
});

describe('warranty rules: properties', () => {
  it('refuses every other digit in the check-digit place of a valid IMEI', () => {
    let tried = 0;
    for (const imei of VECTORS.valid_imeis) {
      const body = imei.slice(0, -1);
      for (let d = 0; d <= 9; d++) {
        if (String(d) === imei[14]) continue;
        expect(imeiProblem(body + d), body + d).toBe('checkDigit');
        tried++;
      }
    }
    expect(tried).toBe(9 * VECTORS.valid_imeis.length);
  });

  it('catches every single-digit substitution anywhere in a valid IMEI', () => {
    for (const imei of VECTORS.valid_imeis) {
      for (let i = 0; i < 15; i++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === imei[i]) continue;
          const typo = imei.slice(0, i) + d + imei.slice(i + 1);
          expect(imeiProblem(typo), typo).toBe('checkDigit');
        }
      }
    }
  });

  it('completes any 14 digits into a valid IMEI', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 10;
    };
    for (let n = 0; n < 500; n++) {
      const body = Array.from({ length: 14 }, rand).join('');
      expect(imeiProblem(body + luhnCheckDigit(body))).toBeNull();
    }
  });

  it('keeps dates on the calendar whatever the time zone', () => {
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2024-12-31', 2)).toBe('2025-02-28');
    expect(addMonths('2025-03-31', -1)).toBe('2025-02-28');
    expect(terms('2026-03-28').returnUntil).toBe('2026-04-04'); // across a DST change elsewhere
    expect(isDate('2026-02-30')).toBe(false);
    expect(isDate('2026-2-3')).toBe(false);
    expect(isDate('2028-02-29')).toBe(true);
    expect(() => terms('not a date')).toThrow(TypeError);
  });

  it('knows time zones by their IANA names', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(isTimeZone(null)).toBe(false);
  });
});
