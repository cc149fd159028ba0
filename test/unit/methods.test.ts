import { E_WALLETS, VA_BANKS, resolveChannel } from '../../domain/methods';

describe('resolveChannel', () => {
  test('channels are case-insensitive and trimmed', () => {
    expect(resolveChannel('virtual_account', 'BCA')).toEqual({ channel: 'bca' });
    expect(resolveChannel('virtual_account', ' Mandiri ')).toEqual({ channel: 'mandiri' });
    expect(resolveChannel('e_wallet', 'GoPay')).toEqual({ channel: 'gopay' });
  });

  test('every VA bank and e-wallet resolves to itself', () => {
    for (const bank of VA_BANKS) expect(resolveChannel('virtual_account', bank)).toEqual({ channel: bank });
    for (const wallet of E_WALLETS) expect(resolveChannel('e_wallet', wallet)).toEqual({ channel: wallet });
  });

  test.each([
    ['virtual_account', 'is required for virtual_account: one of bca, bni, mandiri, bri, permata'],
    ['e_wallet', 'is required for e_wallet: one of gopay, ovo, dana, linkaja'],
  ] as const)('%s requires a channel', (method, message) => {
    expect(resolveChannel(method, undefined)).toEqual({ error: message });
    expect(resolveChannel(method, '')).toEqual({ error: message });
  });

  test('methods with an implicit channel default to it', () => {
    expect(resolveChannel('qris', undefined)).toEqual({ channel: 'qris' });
    expect(resolveChannel('qris', '')).toEqual({ channel: 'qris' });
    expect(resolveChannel('transfer_bank', undefined)).toEqual({ channel: 'transfer_bank' });
    expect(resolveChannel('kartu_kredit', undefined)).toEqual({ channel: 'kartu_kredit' });
    expect(resolveChannel('kartu_kredit', 'VISA')).toEqual({ channel: 'visa' });
  });

  test('e_wallet with a bank channel names the valid wallets', () => {
    expect(resolveChannel('e_wallet', 'bca')).toEqual({
      error: '"bca" is not valid for e_wallet: one of gopay, ovo, dana, linkaja',
    });
  });

  test('virtual_account with a wallet channel names the valid banks', () => {
    expect(resolveChannel('virtual_account', 'GOPAY')).toEqual({
      error: '"GOPAY" is not valid for virtual_account: one of bca, bni, mandiri, bri, permata',
    });
  });

  test('qris rejects any other channel', () => {
    expect(resolveChannel('qris', 'bca')).toEqual({ error: '"bca" is not valid for qris: one of qris' });
  });
});
