import { Controller, Inject } from '@nestjs/common';
import type { AccountsReply, ListAccountsRequest, ListTransactionsRequest, TransactionsReply } from '#contracts';
import { HandleRequest } from '#messaging';
import { BankingService } from './banking.service.js';

@Controller()
export class BankingHandler {
  constructor(@Inject(BankingService) private readonly banking: BankingService) {}

  @HandleRequest('user-data.accounts.list')
  accounts(request: ListAccountsRequest): Promise<AccountsReply> {
    return this.banking.accounts(request);
  }

  @HandleRequest('user-data.transactions.list')
  transactions(request: ListTransactionsRequest): Promise<TransactionsReply> {
    return this.banking.transactions(request);
  }
}
