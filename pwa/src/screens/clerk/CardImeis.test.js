// The IMEI fields CardForm and an exchange's replacement unit share: what a scan fills in, and a
// unit that already has a live card on this phone.
import { describe, expect, it } from 'vitest';
import { duplicateProblem, withScanned } from './CardImeis.js';

const P30 = { id: 7, model_code: 'XL-P30', tac_codes: ['86012345'] };
const X9 = { id: 8, model_code: 'XL-X9', tac_codes: ['35209900'] };
const A = '860123456789014';
const B = '860123450000012';
const C = '352099000000014';

describe('withScanned', () => {
  it('fills the empty IMEI fields with what was not there yet, and picks the model of the TAC', () => {
    expect(withScanned({ imei: '', imei2: '', product_id: '' }, [A, B], [P30, X9])).toEqual({
      imei: A,
      imei2: B,
      product_id: '7',
    });
    // IMEI 1 typed already: the scan's other IMEI goes to IMEI 2; the one already there is skipped.
    expect(withScanned({ imei: A, imei2: '', product_id: '' }, [A, B], [P30])).toMatchObject({ imei: A, imei2: B });
    // Both full: nothing is overwritten.
    expect(withScanned({ imei: A, imei2: B, product_id: '7' }, [C], [P30, X9])).toEqual({
      imei: A,
      imei2: B,
      product_id: '7',
    });
  });

  it('keeps a model already chosen, and picks none for a TAC that is not ours', () => {
    expect(withScanned({ imei: '', imei2: '', product_id: '7' }, [C], [P30, X9]).product_id).toBe('7');
    expect(withScanned({ imei: '', imei2: '', product_id: '' }, [C], [P30]).product_id).toBe('');
    expect(withScanned({ imei: '', imei2: '', product_id: '' }, [C], [P30, X9]).product_id).toBe('8');
  });
});

describe('duplicateProblem', () => {
  const card = (id, extra) => ({ id, imei: A, imei2: B, registered_at: '2026-11-20T03:00:00Z', ...extra });

  it('names a live card of this phone with the IMEI (either of its two)', () => {
    expect(duplicateProblem(A, [card('c1')])).toMatchObject({ key: 'card.problem.duplicate' });
    expect(duplicateProblem(B, [card('c1')])).toMatchObject({ key: 'card.problem.duplicate' });
    expect(duplicateProblem(C, [card('c1')])).toBeNull();
  });

  it('leaves out the card being corrected, and refused, voided or closed cards', () => {
    expect(duplicateProblem(A, [card('c1')], 'c1')).toBeNull();
    expect(duplicateProblem(A, [card('c1', { sync: { state: 'refused' } })])).toBeNull();
    expect(duplicateProblem(A, [card('c1', { voided_at: '2026-11-21T00:00:00Z' })])).toBeNull();
    expect(duplicateProblem(A, [card('c1', { closed_kind: 'exchanged' })])).toBeNull();
    expect(duplicateProblem(A, null)).toBeNull();
  });
});
