import { LocalBus } from '../../src/server/bus/local-bus.js';
import { busContract } from '../contracts/bus-contract.js';

busContract('in-process', {
  shared: false,
  async make() {
    const bus = new LocalBus();
    await bus.init();
    return bus;
  },
});
