export * from './definition';
export * from './runner';
export * from './stand-in';
export * from './metrics';
